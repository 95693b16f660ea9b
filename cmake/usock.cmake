# Helpers: unit tests beside the code, conformance programs run twice.

# usock_unit_test(NAME SOURCE LIBS...): a unit test labelled "unit".
function(usock_unit_test name src)
  add_executable(${name} ${src})
  target_link_libraries(${name} PRIVATE ${ARGN} usock_testutil)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS "unit;tsan" TIMEOUT 120)
endfunction()

# usock_conformance(NAME SOURCE): one program, two ctest runs: NAME.kernel and NAME.usock.
function(usock_conformance name src)
  add_executable(${name} ${src})
  target_link_libraries(${name} PRIVATE usock_conform)
  # EFAULT cases pass deliberately bad buffers, which -O3 sees through.
  target_compile_options(${name} PRIVATE -Wno-stringop-overflow -Wno-array-bounds -Wno-format-truncation)
  set(xfail ${PROJECT_SOURCE_DIR}/tests/conformance/xfail-usock.txt)
  add_test(NAME ${name}.kernel COMMAND ${name})
  set_tests_properties(${name}.kernel PROPERTIES LABELS "conformance;kernel" TIMEOUT 600
    ENVIRONMENT "USOCK_MODE=kernel")
  add_test(NAME ${name}.usock COMMAND $<TARGET_FILE:usock> run --families unix -- $<TARGET_FILE:${name}>)
  set_tests_properties(${name}.usock PROPERTIES LABELS "conformance;usock" TIMEOUT 600
    ENVIRONMENT "USOCK_MODE=usock;CONFORM_XFAIL=${xfail}")
endfunction()
