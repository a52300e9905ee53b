# Install rules and the Debian package (docs/deployment.md, "Single host"):
#   cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
#   cmake --build build --target violentutf-api man
#   (cd build && cpack -G DEB)      # build/violentutf-api_<version>_<arch>.deb
# The service and its command-line client (vutf) go in: the mock target (tests/mock_target) is a test fixture. The package
# installs the systemd unit disabled; set SECRET_KEY in /etc/violentutf-api/env, then
# `systemctl enable --now violentutf-api`.
include(GNUInstallDirs)
# Debian's place, named after the package (GNUInstallDirs' DOCDIR uses the project name).
set(vutf_docdir ${CMAKE_INSTALL_DATAROOTDIR}/doc/violentutf-api)
# `install` (and cpack) need only what they install, not the tests: build the targets
# violentutf-api and man first (scripts/check-deploy.sh, deploy/Dockerfile).
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

# violentutf-api(1), generated from the binary's --help and --config-docs (scripts/man.py).
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_custom_command(
  OUTPUT ${CMAKE_BINARY_DIR}/violentutf-api.1
  COMMAND Python3::Interpreter ${CMAKE_SOURCE_DIR}/scripts/man.py $<TARGET_FILE:violentutf-api>
          ${CMAKE_BINARY_DIR}/violentutf-api.1
  DEPENDS violentutf-api ${CMAKE_SOURCE_DIR}/scripts/man.py
  COMMENT "Generating violentutf-api.1")
# Not part of the sanitizer and fuzzing builds (scripts/sanitize.sh, scripts/fuzz.sh): nothing is
# packaged from them.
if(VUTF_SANITIZE OR VUTF_FUZZ)
  set(vutf_man_all "")
else()
  set(vutf_man_all ALL)
endif()
add_custom_target(man ${vutf_man_all} DEPENDS ${CMAKE_BINARY_DIR}/violentutf-api.1)
# The client and its page (cli/) come with the `man` target, so the build lines above stay.
add_dependencies(man vutf_man)

install(TARGETS violentutf-api RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${CMAKE_BINARY_DIR}/violentutf-api.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(TARGETS vutf RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${CMAKE_BINARY_DIR}/vutf.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${CMAKE_SOURCE_DIR}/deploy/systemd/violentutf-api.service
        DESTINATION lib/systemd/system)
# Absolute: /etc whatever the prefix. Holds SECRET_KEY and the database password: root only
# (systemd reads it before dropping to the service's dynamic user).
install(FILES ${CMAKE_SOURCE_DIR}/deploy/env/violentutf-api.env DESTINATION /etc/violentutf-api
        RENAME env PERMISSIONS OWNER_READ OWNER_WRITE)
install(FILES ${CMAKE_SOURCE_DIR}/README.md ${CMAKE_SOURCE_DIR}/LICENSE
              ${CMAKE_SOURCE_DIR}/docs/deployment.md ${CMAKE_SOURCE_DIR}/docs/operations.md
              ${CMAKE_SOURCE_DIR}/docs/configuration.md ${CMAKE_SOURCE_DIR}/docs/api.md
              ${CMAKE_SOURCE_DIR}/docs/security.md
        DESTINATION ${vutf_docdir})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/deploy/grafana ${CMAKE_SOURCE_DIR}/deploy/prometheus
        DESTINATION ${vutf_docdir}/examples)

set(CPACK_PACKAGE_NAME violentutf-api)
set(CPACK_PACKAGE_VENDOR "ViolentUTF")
set(CPACK_PACKAGE_CONTACT "ViolentUTF maintainers <maintainers@violentutf.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "AI red-teaming HTTP service (ViolentUTF API)")
set(CPACK_PACKAGE_DESCRIPTION
    "Registers LLM endpoints, runs scans of adversarial probes against them and reports the\
 findings. SQLite or PostgreSQL, optional Redis, Prometheus metrics.")
set(CPACK_RESOURCE_FILE_LICENSE ${CMAKE_SOURCE_DIR}/LICENSE)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_LICENSE Apache-2.0)
# Library dependencies come from dpkg-shlibdeps (libcaf, libpqxx, libhiredis, ...).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "postgresql | postgresql-client")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "redis-server, nginx | haproxy")
# dpkg keeps a locally edited env across upgrades (it asks) instead of overwriting it.
file(WRITE ${CMAKE_BINARY_DIR}/conffiles "/etc/violentutf-api/env\n")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${CMAKE_BINARY_DIR}/conffiles)
include(CPack)
