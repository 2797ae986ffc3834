# cmake -DHELPER=<rolesanywhere-helper> [-DEMULATOR=<cross emulator>] -DOUTPUT_DIR=<dir> -P
# Writes the helper's completion scripts, asked of the helper itself: bash's
# rolesanywhere-helper, zsh's _rolesanywhere-helper, fish's rolesanywhere-helper.fish.
file(MAKE_DIRECTORY "${OUTPUT_DIR}")
foreach(shell_and_file "bash;rolesanywhere-helper" "zsh;_rolesanywhere-helper"
    "fish;rolesanywhere-helper.fish")
  list(GET shell_and_file 0 shell)
  list(GET shell_and_file 1 file)
  execute_process(COMMAND ${EMULATOR} "${HELPER}" completion ${shell}
    OUTPUT_FILE "${OUTPUT_DIR}/${file}.new" RESULT_VARIABLE status ERROR_VARIABLE errors)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "rolesanywhere-helper completion ${shell} failed (${status}): ${errors}")
  endif()
  file(RENAME "${OUTPUT_DIR}/${file}.new" "${OUTPUT_DIR}/${file}")
endforeach()
