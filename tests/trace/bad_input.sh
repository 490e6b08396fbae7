#!/usr/bin/env bash
. "$(dirname "$0")/../cli/lib.sh"
finish
