# Installation: headers (chatframe/version.hpp included), libraries, a CMake
# package with components (find_package(chatframe COMPONENTS framing reactor)
# gives chatframe::framing and chatframe::reactor) and a pkg-config file.
include(CMakePackageConfigHelpers)

set(CHATFRAME_INSTALL_TARGETS chatframe_framing)
set(CHATFRAME_COMPONENTS framing)
set(CHATFRAME_PC_LIBS "-lchatframe_framing")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/framing/include/chatframe DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_BINARY_DIR}/include/chatframe/version.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/chatframe)
if(TARGET chatframe_reactor)
  list(APPEND CHATFRAME_INSTALL_TARGETS chatframe_reactor)
  list(APPEND CHATFRAME_COMPONENTS reactor)
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
