#!/usr/bin/env bash
echo "make run: the example lands with the RPC layer" >&2
exit 1
