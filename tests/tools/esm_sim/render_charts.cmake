# Renders esm-sim's SVG charts to PNG with rsvg-convert and checks the result: a chart that librsvg rejects,
# renders to (almost) nothing, or at another size than asked fails the test.
#
#   cmake -DRSVG=/usr/bin/rsvg-convert -DDIR=<dir with .svg files> -DEXPECT="iterator_age;backlog"
#         -DWIDTH=800 -DHEIGHT=400 -P render_charts.cmake
#
# For each name N of EXPECT: DIR/N.svg must exist; `RSVG -o DIR/N.png DIR/N.svg` must succeed; DIR/N.png must be
# a PNG of at least 1000 bytes whose IHDR says WIDTH x HEIGHT. One line per chart:
#   chart N.svg -> N.png 800x400, 12345 bytes
cmake_minimum_required(VERSION 3.16)

foreach(_var RSVG DIR EXPECT WIDTH HEIGHT)
  if(NOT DEFINED ${_var} OR "${${_var}}" STREQUAL "")
    message(FATAL_ERROR "render_charts: -D${_var}=... is required "
                        "(usage: cmake -DRSVG=<rsvg-convert> -DDIR=<dir> -DEXPECT=\"a;b\" -DWIDTH=800 -DHEIGHT=400 "
                        "-P render_charts.cmake)")
  endif()
endforeach()
if(NOT EXISTS "${RSVG}")
  message(FATAL_ERROR "render_charts: rsvg-convert not found at '${RSVG}'")
endif()
if(NOT IS_DIRECTORY "${DIR}")
  message(FATAL_ERROR "render_charts: '${DIR}' is not a directory")
endif()
foreach(_var WIDTH HEIGHT)
  if(NOT "${${_var}}" MATCHES "^[1-9][0-9]*$")
    message(FATAL_ERROR "render_charts: ${_var} must be a positive integer, not '${${_var}}'")
  endif()
endforeach()

# Every expected chart first, so that one run reports all missing files.
set(_missing)
foreach(_name IN LISTS EXPECT)
  if(NOT EXISTS "${DIR}/${_name}.svg")
    list(APPEND _missing "${_name}.svg")
  endif()
endforeach()
if(_missing)
  list(JOIN _missing ", " _missing_text)
  message(FATAL_ERROR "render_charts: expected chart(s) missing in ${DIR}: ${_missing_text}")
endif()

foreach(_name IN LISTS EXPECT)
  set(_svg "${DIR}/${_name}.svg")
  set(_png "${DIR}/${_name}.png")
  file(REMOVE "${_png}") # never check a PNG left over from an earlier run
  execute_process(COMMAND "${RSVG}" -o "${_png}" "${_svg}" RESULT_VARIABLE _rc OUTPUT_VARIABLE _out
                  ERROR_VARIABLE _err)
  if(NOT _rc STREQUAL "0")
    message(FATAL_ERROR "render_charts: ${RSVG} failed on ${_svg} (exit ${_rc}):\n${_out}${_err}")
  endif()
  if(NOT EXISTS "${_png}")
    message(FATAL_ERROR "render_charts: ${RSVG} wrote no ${_png}")
  endif()
  file(SIZE "${_png}" _bytes)
  if(_bytes LESS 1000)
    message(FATAL_ERROR "render_charts: ${_png} is only ${_bytes} bytes (expected >= 1000): an empty chart?")
  endif()
  # PNG signature (8 bytes), IHDR chunk length (4) and type (4), then width and height, big-endian.
  file(READ "${_png}" _head LIMIT 24 HEX)
  string(SUBSTRING "${_head}" 0 16 _signature)
  string(SUBSTRING "${_head}" 24 8 _chunk)
  if(NOT _signature STREQUAL "89504e470d0a1a0a" OR NOT _chunk STREQUAL "49484452")
    message(FATAL_ERROR "render_charts: ${_png} is not a PNG (header ${_head})")
  endif()
  string(SUBSTRING "${_head}" 32 8 _width_hex)
  string(SUBSTRING "${_head}" 40 8 _height_hex)
  math(EXPR _width "0x${_width_hex}")
  math(EXPR _height "0x${_height_hex}")
  if(NOT _width EQUAL WIDTH OR NOT _height EQUAL HEIGHT)
    message(FATAL_ERROR "render_charts: ${_png} is ${_width}x${_height}, expected ${WIDTH}x${HEIGHT}")
  endif()
  message(NOTICE "chart ${_name}.svg -> ${_name}.png ${_width}x${_height}, ${_bytes} bytes")
endforeach()
