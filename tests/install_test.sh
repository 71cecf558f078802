#!/usr/bin/env bash
# Installs the built library into a temporary prefix, then builds and runs examples/basic_usage.cpp
# against it twice: with `pkg-config --cflags --libs strata`, and through `find_package(strata)`.
#   install_test.sh <build dir> <source dir>
set -euo pipefail
build=$1
src=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/strata_install_test.XXXXXX")
trap 'rm -rf "$work"' EXIT

cmake --install "$build" --prefix "$work/prefix" > /dev/null
pcdir=$(dirname "$(find "$work/prefix" -name strata.pc)")

echo "== pkg-config"
flags=$(PKG_CONFIG_PATH="$pcdir" pkg-config --cflags --libs strata)
echo "flags: $flags"
c++ "$src/examples/basic_usage.cpp" $flags -o "$work/basic_usage_pc"
"$work/basic_usage_pc" "$work/db_pc" > "$work/out_pc.txt"
grep -q "apricot -> orange (after reopen)" "$work/out_pc.txt"

echo "== find_package(strata)"
mkdir -p "$work/consumer"
cat > "$work/consumer/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.20)
project(consumer CXX)
find_package(strata REQUIRED)
add_executable(basic_usage "$src/examples/basic_usage.cpp")
target_link_libraries(basic_usage PRIVATE strata::strata)
CMAKE
cmake -S "$work/consumer" -B "$work/consumer/build" -DCMAKE_PREFIX_PATH="$work/prefix" > /dev/null
cmake --build "$work/consumer/build" > /dev/null
"$work/consumer/build/basic_usage" "$work/db_cmake" > "$work/out_cmake.txt"
grep -q "apricot -> orange (after reopen)" "$work/out_cmake.txt"
echo "install test passed"
