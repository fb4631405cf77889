# Installation: headers, libraries, a CMake package (find_package(chatframe)
# gives chatframe::framing and chatframe::reactor) and a pkg-config file.
include(CMakePackageConfigHelpers)

set(CHATFRAME_INSTALL_TARGETS chatframe_framing)
set(CHATFRAME_PC_LIBS "-lchatframe_framing")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/framing/include/chatframe DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
if(TARGET chatframe_reactor)
  list(APPEND CHATFRAME_INSTALL_TARGETS chatframe_reactor)
  set(CHATFRAME_PC_LIBS "-lchatframe_reactor ${CHATFRAME_PC_LIBS}")
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/reactor/include/chatframe DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
endif()

install(TARGETS ${CHATFRAME_INSTALL_TARGETS} EXPORT chatframeTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT chatframeTargets NAMESPACE chatframe::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/chatframe)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/chatframeConfig.cmake.in
  ${PROJECT_BINARY_DIR}/chatframeConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/chatframe)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/chatframeConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/chatframeConfig.cmake ${PROJECT_BINARY_DIR}/chatframeConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/chatframe)
file(RELATIVE_PATH CHATFRAME_PC_TO_PREFIX "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
configure_file(${PROJECT_SOURCE_DIR}/cmake/chatframe.pc.in ${PROJECT_BINARY_DIR}/chatframe.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/chatframe.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# A consumer project configured against the installed tree: install into a
# scratch prefix, then build and run tests/consumer with find_package and with
# pkg-config.
if(CHATFRAME_BUILD_TESTS AND NOT CHATFRAME_SANITIZE)
  set(prefix ${PROJECT_BINARY_DIR}/consumer-prefix)
  add_test(NAME packaging.install
           COMMAND ${CMAKE_COMMAND} --install ${PROJECT_BINARY_DIR} --prefix ${prefix})
  add_test(NAME packaging.find_package_consumer
           COMMAND ${CMAKE_COMMAND} -E env CXX=${CMAKE_CXX_COMPILER}
                   sh -c "rm -rf '${PROJECT_BINARY_DIR}/consumer-build' && \
${CMAKE_COMMAND} -S '${PROJECT_SOURCE_DIR}/tests/consumer' -B '${PROJECT_BINARY_DIR}/consumer-build' -G Ninja -DCMAKE_PREFIX_PATH='${prefix}' && \
${CMAKE_COMMAND} --build '${PROJECT_BINARY_DIR}/consumer-build' && '${PROJECT_BINARY_DIR}/consumer-build/consumer'")
  add_test(NAME packaging.pkg_config_consumer
           COMMAND sh -c "PKG_CONFIG_PATH='${prefix}/${CMAKE_INSTALL_LIBDIR}/pkgconfig' && export PKG_CONFIG_PATH && \
${CMAKE_CXX_COMPILER} '${PROJECT_SOURCE_DIR}/tests/consumer/consumer.cpp' $(pkg-config --cflags --libs chatframe) -o '${PROJECT_BINARY_DIR}/consumer-pc' && '${PROJECT_BINARY_DIR}/consumer-pc'")
  add_test(NAME packaging.add_subdirectory_consumer
           COMMAND sh -c "rm -rf '${PROJECT_BINARY_DIR}/subdir-consumer' && \
${CMAKE_COMMAND} -S '${PROJECT_SOURCE_DIR}/tests/consumer_subdir' -B '${PROJECT_BINARY_DIR}/subdir-consumer' -G Ninja \
-DCMAKE_CXX_COMPILER='${CMAKE_CXX_COMPILER}' -DCHATFRAME_SOURCE_DIR='${PROJECT_SOURCE_DIR}' && \
${CMAKE_COMMAND} --build '${PROJECT_BINARY_DIR}/subdir-consumer' && '${PROJECT_BINARY_DIR}/subdir-consumer/consumer'")
  set_tests_properties(packaging.add_subdirectory_consumer PROPERTIES RESOURCE_LOCK consumer TIMEOUT 300)
  set_tests_properties(packaging.install PROPERTIES FIXTURES_SETUP chatframe_installed)
  set_tests_properties(packaging.find_package_consumer packaging.pkg_config_consumer
                       PROPERTIES FIXTURES_REQUIRED chatframe_installed RESOURCE_LOCK consumer)
endif()

