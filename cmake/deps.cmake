# Every dependency is a Debian package; .ci/install-deps installs them all.
find_package(PkgConfig REQUIRED)

# cred_pkg(<target-name> <pkg-config module> <debian package>)
function(cred_pkg name module debian)
  pkg_check_modules(${name} QUIET IMPORTED_TARGET GLOBAL ${module})
  if(NOT ${name}_FOUND)
    message(FATAL_ERROR "credence needs ${module}: install the Debian package ${debian} (or run .ci/install-deps)")
  endif()
  add_library(dep::${name} ALIAS PkgConfig::${name})
endfunction()

cred_pkg(pcre2 libpcre2-8 libpcre2-dev)
cred_pkg(hs libhs libvectorscan-dev)
cred_pkg(xxhash libxxhash libxxhash-dev)
cred_pkg(zstd libzstd libzstd-dev)
cred_pkg(utf8proc libutf8proc libutf8proc-dev)
cred_pkg(yajl yajl libyajl-dev)
cred_pkg(psl libpsl libpsl-dev)
cred_pkg(archive libarchive libarchive-dev)
cred_pkg(xml2 libxml-2.0 libxml2-dev)
cred_pkg(microhttpd libmicrohttpd libmicrohttpd-dev)
cred_pkg(hiredis hiredis libhiredis-dev)
cred_pkg(nettle nettle nettle-dev)

# libstemmer ships no .pc file.
find_path(STEMMER_INCLUDE_DIR libstemmer.h)
find_library(STEMMER_LIBRARY stemmer)
if(NOT STEMMER_INCLUDE_DIR OR NOT STEMMER_LIBRARY)
  message(FATAL_ERROR "credence needs libstemmer: install the Debian package libstemmer-dev (or run .ci/install-deps)")
endif()
add_library(dep::stemmer UNKNOWN IMPORTED GLOBAL)
set_target_properties(dep::stemmer PROPERTIES IMPORTED_LOCATION ${STEMMER_LIBRARY}
                      INTERFACE_INCLUDE_DIRECTORIES ${STEMMER_INCLUDE_DIR})

find_package(Threads REQUIRED)

if(CRED_BUILD_TESTS)
  cred_pkg(criterion criterion libcriterion-dev)
endif()
