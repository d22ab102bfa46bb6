# Writes the trace digests of a fixed set of runs to OUT, one "<name> <events> <digest>" line each
# (issue 14 point 8): the `[digest]` test cases of TESTS (random stream and queue scenarios: every
# trace event), and the SHA-256 of timeline.csv and summary.json of every shipped esm-sim scenario
# in SCENARIOS, run by SIM (when given). scripts/test.sh compares the file of the g++ preset with
# the clang one and fails when they differ.
# Usage: cmake -DOUT=... -DTESTS=... [-DSIM=... -DSCENARIOS=... -DWORK=...] -P digests.cmake
file(REMOVE "${OUT}")
get_filename_component(_dir "${OUT}" DIRECTORY)
file(MAKE_DIRECTORY "${_dir}")
execute_process(COMMAND ${CMAKE_COMMAND} -E env "ESM_DIGEST_FILE=${OUT}" "${TESTS}" "[digest]"
                RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _out)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "the [digest] tests failed (${_rc}):\n${_out}")
endif()
if(SIM)
  file(GLOB _scenarios "${SCENARIOS}/*.json")
  list(SORT _scenarios)
  foreach(_f ${_scenarios})
    get_filename_component(_n "${_f}" NAME_WE)
    set(_o "${WORK}/${_n}")
    file(REMOVE_RECURSE "${_o}")
    execute_process(COMMAND "${SIM}" "${_f}" --out "${_o}" --quiet --jobs 1 RESULT_VARIABLE _rc ERROR_VARIABLE _err)
    if(NOT _rc EQUAL 0 AND NOT _rc EQUAL 1)
      message(FATAL_ERROR "esm-sim ${_f} exited ${_rc}: ${_err}")
    endif()
    foreach(_file timeline.csv summary.json)
      file(SHA256 "${_o}/${_file}" _h)
      file(APPEND "${OUT}" "esm-sim/${_n}/${_file} - ${_h}\n")
    endforeach()
  endforeach()
endif()
file(READ "${OUT}" _all)
message(STATUS "trace digests (${OUT}):\n${_all}")
