# tests/fuzz/run_fuzz.cmake: one bounded fuzzing run, as ctest's fuzz_<t>_run:
# starts from an empty working corpus (so every run is the same run: -seed=1
# from the seed corpus only), writes new inputs and crash artifacts under WORK,
# fails if the fuzzer found anything.
#   cmake -DFUZZER=<exe> -DSEEDS=<dir> -DWORK=<dir> -DSECONDS=<n> -DFLAGS=<list>
#         -P run_fuzz.cmake
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK}/corpus ${WORK}/artifacts)
execute_process(
  COMMAND ${FUZZER} -seed=1 -max_total_time=${SECONDS} -print_final_stats=1
          -artifact_prefix=${WORK}/artifacts/ ${FLAGS} ${WORK}/corpus ${SEEDS}
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${FUZZER} failed (${rc}); the input is in ${WORK}/artifacts")
endif()
