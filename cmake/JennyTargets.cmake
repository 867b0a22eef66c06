# Helpers that every subsystem uses to declare its library and its tests.
#
# jenny_library(NAME SOURCES ... DEPS ... [PUBLIC_LIBS ...] [PRIVATE_LIBS ...])
#   Declares the static library jenny_<NAME>. DEPS are other jenny subsystems this one may
#   depend on (base, tensor, ...): they are linked and recorded in JENNY_LAYER_<NAME>, which
#   the layering test compares against the #include lines of src/<NAME>/.
# jenny_test(NAME SOURCES ... LIBS ... [LABELS fast|slow|gpu])
#   A GoogleTest executable, registered with ctest under the given label (default fast).

set(JENNY_WARNINGS -Wall -Wextra -Werror)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # GCC 12 reports -Wrestrict false positives inside std::string concatenation at -O3.
  list(APPEND JENNY_WARNINGS -Wno-restrict)
endif()
if(JENNY_SANITIZE AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # Sanitizer instrumentation makes GCC 12 see uninitialized reads inside std::regex/function.
  list(APPEND JENNY_WARNINGS -Wno-maybe-uninitialized)
endif()
if(JENNY_FUZZ)
  set(JENNY_WARNINGS -Wall -Wextra)  # clang warns differently; gcc builds keep -Werror
endif()

function(jenny_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PUBLIC_LIBS;PRIVATE_LIBS" ${ARGN})
  add_library(jenny_${name} STATIC ${ARG_SOURCES})
  target_include_directories(jenny_${name} PUBLIC ${PROJECT_SOURCE_DIR}/include
                                            PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_compile_options(jenny_${name} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:${JENNY_WARNINGS}>)
  set(deps "")
  foreach(d ${ARG_DEPS})
    if(TARGET jenny_${d})  # a subsystem with no sources yet has no library
      list(APPEND deps jenny_${d})
    endif()
  endforeach()
  target_link_libraries(jenny_${name} PUBLIC ${deps} ${ARG_PUBLIC_LIBS} PRIVATE ${ARG_PRIVATE_LIBS})
  string(REPLACE ";" "," deps_csv "${ARG_DEPS}")
  set_property(GLOBAL APPEND PROPERTY JENNY_LAYERS "${name}:${deps_csv}")
endfunction()

function(jenny_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  if(NOT ARG_LABELS)
    set(ARG_LABELS fast)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_compile_options(${name} PRIVATE ${JENNY_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gtest_main GTest::gmock)
  target_compile_definitions(${name} PRIVATE
    JENNY_SHARED_DATA="${PROJECT_SOURCE_DIR}/../shared/data"
    JENNY_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    JENNY_BINARY_DIR="${PROJECT_BINARY_DIR}")
  # Test names carry the executable name (tensor_quant_test.Quant.Q4_0), so ctest -R <subsystem>
  # selects a subsystem.
  gtest_discover_tests(${name} TEST_PREFIX "${name}." PROPERTIES LABELS "${ARG_LABELS}"
                       DISCOVERY_TIMEOUT 60)
endfunction()

# jenny_glob_subsystem(NAME DEPS ... [PUBLIC_LIBS ...] [PRIVATE_LIBS ...])
#   The library jenny_<NAME> from every src/<NAME>/*.cpp (and SUBDIRS/*.cpp) except *_test.cpp
#   and *_fuzz.cpp, and one fast test executable <NAME>_<file>_test per *_test.cpp beside them.
function(jenny_glob_subsystem name)
  cmake_parse_arguments(ARG "" "" "DEPS;PUBLIC_LIBS;PRIVATE_LIBS;TEST_LIBS;SUBDIRS" ${ARGN})
  set(globs ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  foreach(sub ${ARG_SUBDIRS})
    list(APPEND globs ${CMAKE_CURRENT_SOURCE_DIR}/${sub}/*.cpp)
  endforeach()
  file(GLOB srcs CONFIGURE_DEPENDS ${globs})
  list(FILTER srcs EXCLUDE REGEX "_(test|fuzz)\\.cpp$")
  if(NOT srcs)
    message(STATUS "src/${name} has no sources yet: no library")
    string(REPLACE ";" "," deps_csv "${ARG_DEPS}")
    set_property(GLOBAL APPEND PROPERTY JENNY_LAYERS "${name}:${deps_csv}")
    return()
  endif()
  jenny_library(${name} SOURCES ${srcs} DEPS ${ARG_DEPS}
                PUBLIC_LIBS ${ARG_PUBLIC_LIBS} PRIVATE_LIBS ${ARG_PRIVATE_LIBS})
  file(GLOB tests CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*_test.cpp)
  foreach(t ${tests})
    get_filename_component(stem ${t} NAME_WE)
    jenny_test(${name}_${stem} SOURCES ${t} LIBS jenny_${name} ${ARG_PRIVATE_LIBS} ${ARG_TEST_LIBS})
  endforeach()
  if(JENNY_FUZZ)
    # libFuzzer targets: src/<NAME>/*_fuzz.cpp, each defining LLVMFuzzerTestOneInput.
    file(GLOB fuzzers CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*_fuzz.cpp)
    foreach(f ${fuzzers})
      get_filename_component(stem ${f} NAME_WE)
      add_executable(${stem} ${f})
      target_include_directories(${stem} PRIVATE ${PROJECT_SOURCE_DIR}/src)
      target_link_libraries(${stem} PRIVATE jenny_${name} ${ARG_PRIVATE_LIBS})
      target_link_options(${stem} PRIVATE -fsanitize=fuzzer)
      target_compile_definitions(${stem} PRIVATE
        JENNY_SHARED_DATA="${PROJECT_SOURCE_DIR}/../shared/data"
        JENNY_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
      set_target_properties(${stem} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/fuzz)
    endforeach()
  endif()
endfunction()
