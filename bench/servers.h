/* bench/servers.h: the "servers" section of weft_bench's table (see servers.c). */
#ifndef WEFT_BENCH_SERVERS_H
#define WEFT_BENCH_SERVERS_H

/* Prints the section. self: weft_bench's own path (for its --one idle
 * workloads); quick: shorter runs (also when CI is set in the environment). */
void servers_table(const char *self, int quick);

#endif
