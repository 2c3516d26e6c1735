/* weft.h: the umbrella header: includes every public header of weft. */
#ifndef WEFT_H
#define WEFT_H

#include "weft/common.h"
#include "weft/time.h"
#include "weft/runtime.h"
#include "weft/fiber.h"
#include "weft/mutex.h"
#include "weft/rmutex.h"
#include "weft/cond.h"
#include "weft/queue.h"
#include "weft/rwlock.h"
#include "weft/sem.h"
#include "weft/event.h"
#include "weft/revent.h"
#include "weft/countdown.h"
#include "weft/latch.h"
#include "weft/barrier.h"
#include "weft/flag.h"
#include "weft/guard.h"
#include "weft/once.h"
#include "weft/limiter.h"
#include "weft/io.h"
#include "weft/offload.h"
#include "weft/net.h"
#include "weft/server.h"

#endif
