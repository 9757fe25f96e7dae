#!/bin/sh
# Link-level cycles between source files. For every object file under DIR
# (meson puts them in <target>.p/ directories), nm gives the global symbols
# it defines and the ones it leaves undefined. "A uses B" when A's object
# has an undefined symbol that B's object defines. Two files are in one
# cycle when each reaches the other through such edges; the script prints
# every strongly connected component of more than one file, with the edges
# inside it, and exits 1 if there is any.
#
# usage: link_cycles.sh DIR                  fail on any cycle
#        link_cycles.sh -x 'A B ...' DIR      succeed only if the cycles are
#                                              exactly the one component
#                                              A B ... (a planted fixture)
# Files are named by their path under DIR with the target's .p/ directory
# and the .o suffix dropped, e.g. mem/mem_cli.c. The kvstep-embed build tool
# is not part of any library and is left out. Exit 2: no objects, or nm failed.
set -u
expect=
if [ "${1-}" = -x ]; then
	expect=$2
	shift 2
fi
[ $# -eq 1 ] || { echo "usage: link_cycles.sh [-x 'FILES'] DIR" >&2; exit 64; }
dir=$1
nm_bin=${NM:-nm}

tmp=$(mktemp -d) || exit 71
trap 'rm -rf "$tmp"' EXIT

find "$dir" -path '*.p/*.o' ! -path '*kvstep-embed.p/*' -type f | sort > "$tmp/objs"
count=$(wc -l < "$tmp/objs")
if [ "$count" -eq 0 ]; then
	echo "link_cycles: no object files under $dir" >&2
	exit 2
fi

# One line per symbol: FILE D|U NAME. With -A, POSIX nm prefixes every
# line with "object: "; object paths from meson hold no blanks or colons.
# shellcheck disable=SC2046
"$nm_bin" -A -P -g $(cat "$tmp/objs") > "$tmp/nm" ||
	{ echo "link_cycles: nm failed" >&2; exit 2; }
awk -v dir="$dir/" '
	{
		f = substr($1, 1, length($1) - 1)
		if (index(f, dir) == 1) f = substr(f, length(dir) + 1)
		sub(/[^\/]*\.p\//, "", f); sub(/\.o$/, "", f)
	}
	$3 == "U" { print f, "U", $2; next }
	$3 ~ /^[TDBRWVCGSI]$/ { print f, "D", $2 }
' "$tmp/nm" > "$tmp/syms"

awk -v nobj="$count" -v expect="$expect" '
	$2 == "D" { def[$3] = (def[$3] == "" ? $1 : def[$3] SUBSEP $1); next }
	$2 == "U" { nu++; uf[nu] = $1; us[nu] = $3 }
	{ if (!($1 in id)) { n++; id[$1] = n; file[n] = $1 } }
	END {
		for (k = 1; k <= nu; k++) {
			if (!(us[k] in def)) continue # libc, libm, inih ...
			m = split(def[us[k]], to, SUBSEP)
			for (t = 1; t <= m; t++) {
				a = id[uf[k]]; b = id[to[t]]
				if (a == b) continue
				if (!((a, b) in edge)) { edge[a, b] = us[k]; reach[a, b] = 1 }
			}
		}
		# Transitive closure (Warshall); a few hundred files at most.
		for (k = 1; k <= n; k++)
			for (i = 1; i <= n; i++) {
				if (!((i, k) in reach)) continue
				for (j = 1; j <= n; j++)
					if ((k, j) in reach) reach[i, j] = 1
			}
		# Components in file-name order; members sorted by insertion sort.
		for (i = 1; i <= n; i++) order[i] = i
		for (i = 2; i <= n; i++) {
			v = order[i]
			for (j = i - 1; j >= 1 && file[order[j]] > file[v]; j--)
				order[j + 1] = order[j]
			order[j + 1] = v
		}
		comps = 0; got = ""
		for (x = 1; x <= n; x++) {
			i = order[x]
			if (i in done) continue
			members = file[i]; size = 1; done[i] = 1; list[1] = i
			for (y = x + 1; y <= n; y++) {
				j = order[y]
				if (!(j in done) && ((i, j) in reach) && ((j, i) in reach)) {
					done[j] = 1; size++; list[size] = j
					members = members " " file[j]
				}
			}
			if (size < 2) continue
			comps++; cyclefiles += size
			got = members
			printf "cycle %d (%d files): %s\n", comps, size, members
			for (p = 1; p <= size; p++)
				for (q = 1; q <= size; q++)
					if ((list[p], list[q]) in edge)
						printf "  %s -> %s (%s)\n", file[list[p]], file[list[q]], edge[list[p], list[q]]
		}
		printf "%d object files, %d with cycles in %d components\n", nobj, 0 + cyclefiles, comps
		if (expect != "") exit !(comps == 1 && got == expect)
		exit comps > 0
	}
	' "$tmp/syms"
