#!/bin/bash
# contrib/bash-completion/devmemctl: source it and call _devmemctl with
# COMP_WORDS/COMP_CWORD as bash would. Commands and options come from the
# built cli/devmemctl (--list-cmds, CMD --help); region and namespace names
# from `devmemctl list -R` / `list -N`, faked here (no nvdimm on this host).
set -E -o pipefail
trap 'echo "FAIL: ${BASH_SOURCE[0]##*/}:$LINENO: $BASH_COMMAND" >&2; exit 1' ERR
cd "$(dirname "$0")/../.." || exit 1
[ -x cli/devmemctl ] || { echo "FAIL: cli/devmemctl not built"; exit 1; }
real=$PWD/cli/devmemctl

devmemctl() {
	case "$*" in
	"list -R")
		printf '[\n  {\n    "dev":"region0",\n    "size":1073610752,\n    "claimed":true\n  },\n'
		printf '  {\n    "dev":"region1",\n    "size":536870912,\n    "claimed":false\n  }\n]\n' ;;
	"list -N")
		printf '[\n  {\n    "name":"db",\n    "uuid":"1c659551-664e-4ade-aea4-b71579fd3d33",\n    "region":"region0"\n  },\n'
		printf '  {\n    "name":"logs",\n    "uuid":"2cb3b7d0-ea9a-4bdd-8e40-158a93fe0264",\n    "region":"region0"\n  }\n]\n' ;;
	*) "$real" "$@" ;;
	esac
}
# shellcheck source=contrib/bash-completion/devmemctl
. contrib/bash-completion/devmemctl
[ "$(complete -p devmemctl)" = "complete -F _devmemctl devmemctl" ]

# comp WORD... : complete the last word; prints COMPREPLY sorted, one a line
comp() {
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMP_LINE="$*"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_devmemctl devmemctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}
n=0
expect() { # expect "WANT" WORD...
	local want=$1 got
	shift
	got=$(comp "$@")
	n=$((n + 1))
	if [ "$got" != "$want" ]; then
		echo "FAIL: devmemctl ${*:2}<TAB>: got '$got', want '$want'"
		exit 1
	fi
	echo "ok: devmemctl ${*:2}<TAB> -> $got"
}

cmds=$("$real" --list-cmds)
expect "$(printf '%s\nhelp\n' "$cmds" | sort | tr '\n' ' ' | sed 's/ $//')" devmemctl ''
expect "create-namespace" devmemctl cr
expect "claim" devmemctl cl
expect "--help --list-cmds --version" devmemctl --
expect "region0 region1" devmemctl claim ''
expect "region1" devmemctl claim region1
expect "region0 region1" devmemctl create-namespace -r ''
expect "region0" devmemctl create-namespace --region=region0
# bash splits --region=VALUE at "=" (COMP_WORDBREAKS): "--region" "=" "VALUE"
expect "region0 region1" devmemctl create-namespace --region =
expect "region1" devmemctl create-namespace --region = region1
expect "region0 region1" devmemctl list -r ''
expect "2M 4K" devmemctl create-namespace -r region0 -a ''
expect "dev mem" devmemctl create-namespace -M ''
expect "mem" devmemctl create-namespace --map=m
expect "devdax fsdax" devmemctl create-namespace -m ''
expect "" devmemctl create-namespace -s ''
expect "" devmemctl create-namespace -n ''
expect "1c659551-664e-4ade-aea4-b71579fd3d33 2cb3b7d0-ea9a-4bdd-8e40-158a93fe0264 db logs" \
	devmemctl destroy-namespace ''
expect "db" devmemctl destroy-namespace -f d
expect "--force" devmemctl destroy-namespace --f
expect "--align= --help --map= --mode= --name= --region= --size= --uuid= --verbose" \
	devmemctl create-namespace --
expect "--help --human --namespace= --namespaces --region= --regions --verbose" devmemctl list --
expect "-u" devmemctl assemble -u
expect "$(sort <<<"$cmds" | tr '\n' ' ' | sed 's/ $//')" devmemctl help ''
# check and release (another engineer adds them): regions, when present
if grep -qx check <<<"$("$real" --list-cmds)"; then
	expect "region0 region1" devmemctl check ''
fi
if grep -qx release <<<"$("$real" --list-cmds)"; then
	expect "region0 region1" devmemctl release ''
fi
echo "PASS ($n completions)"
