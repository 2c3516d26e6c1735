/* weft.h: the umbrella header: includes every public header of weft. */
#ifndef WEFT_H
#define WEFT_H

#include "weft/common.h"
#include "weft/time.h"
#include "weft/runtime.h"
#include "weft/fiber.h"

#endif
