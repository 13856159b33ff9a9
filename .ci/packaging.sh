#!/usr/bin/env bash
# What a package would ship, checked: `cargo install` works, the installed
# binary writes completions every shell accepts and man pages man can render,
# and packaging/fwfleet.service passes `systemd-analyze verify` (when the tool
# exists). Reuses the release build through CARGO_TARGET_DIR, so it is quick.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/target}"
root=$(mktemp -d "${TMPDIR:-/tmp}/fwfleet-install-XXXXXX")
trap 'rm -rf "$root"' EXIT

cargo install --locked --path . --root "$root" --quiet
fw="$root/bin/fwfleet"
"$fw" --version

for shell in bash zsh fish elvish powershell; do
    "$fw" completions "$shell" > "$root/completion.$shell"
    [ -s "$root/completion.$shell" ] || { echo "packaging: empty $shell completion" >&2; exit 1; }
done
bash -n "$root/completion.bash"
if command -v zsh >/dev/null; then zsh -n "$root/completion.zsh"; else echo "packaging: zsh not installed; zsh completion not syntax-checked"; fi
if command -v fish >/dev/null; then fish --no-execute "$root/completion.fish"; else echo "packaging: fish not installed; fish completion not syntax-checked"; fi
# The bash completion really completes: `fwfleet app<TAB>` offers apply.
bash -c "source '$root/completion.bash'; COMP_WORDS=(fwfleet app); COMP_CWORD=1; COMP_LINE='fwfleet app'; COMP_POINT=11; _fwfleet fwfleet app fwfleet; printf '%s\n' \"\${COMPREPLY[@]}\"" | grep -qx apply

man1="$root/share/man/man1"
"$fw" man --out "$man1" > /dev/null
pages=$(ls "$man1" | wc -l)
for p in fwfleet.1 fwfleet-apply.1 fwfleet-repo-import.1 fwfleet-demo.1; do
    [ -s "$man1/$p" ] || { echo "packaging: man page $p missing" >&2; exit 1; }
done
if command -v man >/dev/null; then
    MANWIDTH=80 man -l "$man1/fwfleet-apply.1" 2>/dev/null | grep -q -- '--dry-run'
fi
echo "packaging: $pages man pages, completions for 5 shells"

if command -v systemd-analyze >/dev/null; then
    # verify checks that ExecStart exists: point it at the binary just installed.
    unit="$root/unit/fwfleet.service"
    mkdir -p "$(dirname "$unit")"
    sed "s#/usr/local/bin/fwfleet#$fw#" packaging/fwfleet.service > "$unit"
    # Documentation=man:… is checked with man(1): find the pages just written.
    out=$(MANPATH="$root/share/man" systemd-analyze verify "$unit" 2>&1) || { echo "$out" >&2; exit 1; }
    # verify exits 0 on some warnings; those about our unit are failures too.
    if echo "$out" | grep -i "fwfleet.service" | grep -v "^$"; then
        echo "packaging: systemd-analyze has remarks about the unit" >&2
        exit 1
    fi
    echo "packaging: systemd-analyze verify: ok"
    # The sandbox stays tight (issue 17: at or below 2.0).
    level=$(systemd-analyze security --offline=yes "$unit" 2>&1 | sed -n 's/.*Overall exposure level for fwfleet.service: \([0-9.]*\).*/\1/p')
    [ -n "$level" ] || { echo "packaging: systemd-analyze security gave no exposure level" >&2; exit 1; }
    awk -v l="$level" 'BEGIN { exit !(l <= 2.0) }' || { echo "packaging: exposure level $level is above 2.0" >&2; exit 1; }
    echo "packaging: systemd-analyze security: exposure $level"
else
    echo "packaging: systemd-analyze not installed; packaging/fwfleet.service not verified"
fi
