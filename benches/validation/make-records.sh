#!/usr/bin/env bash
# Small-record sets for checking trained priors beyond ../shared/records, built from
# what this machine holds: each set DIR/<name>/{train,test}, every fifth file (in name
# order) in test/, files of 200 B to 16 KiB, exact duplicates dropped. Sets whose
# sources are missing are skipped. Keep the output out of the repository.
#
#   bash benches/validation/make-records.sh /tmp/records
#   kraft bench --records /tmp/records/* --peers --prior-size 1M
set -euo pipefail
out=${1:?usage: make-records.sh DIR}
mkdir -p "$out"

# add NAME: file names on stdin become the set NAME.
add() {
    local name=$1 dir="$out/$1" i=0
    rm -rf "$dir"
    mkdir -p "$dir/train" "$dir/test"
    declare -A seen=()
    while IFS= read -r f; do
        local size sum
        size=$(stat -c %s "$f")
        (( size >= 200 && size <= 16384 )) || continue
        sum=$(sha256sum "$f" | cut -c1-64)
        [[ -n ${seen[$sum]:-} ]] && continue
        seen[$sum]=1
        local split=train
        (( i % 5 == 4 )) && split=test
        cp "$f" "$dir/$split/$(printf '%05d' "$i")-$(basename "$f")"
        i=$((i + 1))
    done
    if (( i < 20 )); then
        rm -rf "$dir"
        echo "$name: too few files, skipped" >&2
    else
        echo "$name: $i files" >&2
    fi
}

first() { for d in "$@"; do [[ -d $d ]] && { echo "$d"; return; }; done; return 1; }

# JSON schemas of cloud resources (pip package cfn-lint).
if d=$(first /root/.pyenv/versions/*/lib/python3*/site-packages/cfnlint/data/schemas/resources /usr/lib/python3/dist-packages/cfnlint/data/schemas/resources); then
    find "$d" -name '*.json' | sort | add json-schemas
fi
# MIME type descriptions: XML with their names in dozens of languages (shared-mime-info).
if [[ -d /usr/share/mime ]]; then
    find /usr/share/mime -mindepth 2 -name '*.xml' | sort | add xml-mime-multilingual
fi
# YAML schemas (Google Cloud SDK).
if d=$(first /usr/lib/google-cloud-sdk/lib/googlecloudsdk/schemas); then
    find "$d" -name '*.yaml' | sort | add yaml-schemas
fi
# Locale definitions (glibc locales): text with names and formats of each locale.
if [[ -d /usr/share/i18n/locales ]]; then
    find /usr/share/i18n/locales -maxdepth 1 -type f | sort | add text-locales
fi
# CSV: a table cut into records of 50 rows, each with the header line.
if csv=$(find / -xdev -path '*csv-*/examples/data/bench/nfl.csv' 2>/dev/null | head -1) && [[ -n $csv ]]; then
    tmp=$(mktemp -d)
    head -1 "$csv" > "$tmp/header"
    tail -n +2 "$csv" | split -l 50 -d -a 5 - "$tmp/rows-"
    for f in "$tmp"/rows-*; do cat "$tmp/header" "$f" > "$f.csv"; rm "$f"; done
    find "$tmp" -name 'rows-*.csv' | sort | add csv-rows
    rm -rf "$tmp"
fi
