# One static library per folder of src/, named comfystream_<folder>.
#
# Every source includes project headers as "<folder>/File.h". If each library had src/ on its
# include path, any folder could include any other and the layering would exist only in the docs.
# Instead each library gets an include root of its own in the build tree that holds one entry, a
# link <folder> -> src/<folder>, and publishes that root to whoever links it. A library therefore
# sees the headers of its own folder and of the libraries it links (PUBLIC ones transitively), and
# an include of anything else fails with "No such file or directory".
function(comfystream_add_library folder)
  set(target comfystream_${folder})
  add_library(${target} STATIC ${ARGN})
  set(root ${PROJECT_BINARY_DIR}/include/${folder})
  file(MAKE_DIRECTORY ${root})
  file(CREATE_LINK ${PROJECT_SOURCE_DIR}/src/${folder} ${root}/${folder} SYMBOLIC)
  target_include_directories(${target} PUBLIC ${root})
  set_property(GLOBAL APPEND PROPERTY COMFYSTREAM_SOURCE_TARGETS ${target})
endfunction()

# Fails the configure step when a .cpp under src/ is in no library's source list (or in two), so a
# new file cannot be silently left out of the build. The glob is re-checked at every build.
# Other targets that compile files of src/ (the executable, the torch object library) add
# themselves to the global property COMFYSTREAM_SOURCE_TARGETS.
function(comfystream_check_source_lists)
  file(GLOB_RECURSE on_disk CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/*.cpp)
  get_property(targets GLOBAL PROPERTY COMFYSTREAM_SOURCE_TARGETS)
  set(listed "")
  foreach(target ${targets})
    get_target_property(dir ${target} SOURCE_DIR)
    get_target_property(sources ${target} SOURCES)
    foreach(s ${sources})
      cmake_path(ABSOLUTE_PATH s BASE_DIRECTORY ${dir} NORMALIZE OUTPUT_VARIABLE s)
      list(APPEND listed ${s})
    endforeach()
  endforeach()
  foreach(f ${on_disk})
    list(FIND listed ${f} at)
    if(at EQUAL -1)
      message(FATAL_ERROR "${f} is in no library's source list: add it to the CMakeLists.txt of "
                          "its folder (the library table is in docs/ARCHITECTURE.md)")
    endif()
  endforeach()
  set(seen "")
  foreach(f ${listed})
    list(FIND seen ${f} at)
    if(NOT at EQUAL -1)
      message(FATAL_ERROR "${f} is listed twice")
    endif()
    list(APPEND seen ${f})
  endforeach()
endfunction()
