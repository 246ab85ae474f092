#!/usr/bin/env bash
# Rewrites PublicAPI.Unshipped.txt of every shipped project (IsShippedProject, eng/Packaging.props) from the code:
#   Unshipped = the public API the code declares, minus what PublicAPI.Shipped.txt lists,
#             + a *REMOVED* line for each Shipped symbol the code no longer declares.
# It starts each Unshipped.txt empty, recompiles the shipped projects with warnings not as errors, reads the public API
# analyzer's RS0016 (not declared) and RS0017 (declared but gone) diagnostics from the compiler's SARIF log, writes the
# files sorted, and then builds again with warnings as errors to prove the baseline matches. Running it twice changes
# nothing the second time. Review the diff: every line in it is a public API change.
#
# Usage: scripts/update-public-api.sh            (Release; CONFIGURATION=Debug to use the Debug build instead)
# Needs: the .NET SDK and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
configuration=${CONFIGURATION:-Release}
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

# 1. The shipped projects, as eng/Packaging.props decides.
shipped=()
while IFS= read -r project; do
  [[ "$project" == *.csproj ]] || continue
  project=${project//\\//}
  if [[ "$(dotnet msbuild "$project" -nologo -getProperty:IsShippedProject)" == "true" ]]; then
    shipped+=("$project")
  fi
done < <(dotnet sln MLNetInference.sln list)
if [[ ${#shipped[@]} -eq 0 ]]; then
  echo "update-public-api: no shipped project found in MLNetInference.sln" >&2
  exit 1
fi

# 2. Empty Unshipped.txt (and a Shipped.txt where there is none), so the analyzer reports the whole unshipped API.
for project in "${shipped[@]}"; do
  folder=$(dirname "$project")
  [[ -f "$folder/PublicAPI.Shipped.txt" ]] || printf '#nullable enable\n' > "$folder/PublicAPI.Shipped.txt"
  printf '#nullable enable\n' > "$folder/PublicAPI.Unshipped.txt"
done

# 3. Recompile each shipped project once (the stamp is a newer compile input), logging diagnostics as SARIF. One build of
#    a temporary solution of the shipped projects, so each is evaluated and compiled once.
dotnet new sln -o "$log" -n shipped >/dev/null
solution=$(ls "$log"/shipped.sln*)
dotnet sln "$solution" add "${shipped[@]/#/$root/}" >/dev/null
touch "$log/stamp"
echo "update-public-api: compiling ${#shipped[@]} shipped projects"
dotnet build "$solution" -c "$configuration" -nologo -v:q -p:PublicApiLogDir="$log" -p:TreatWarningsAsErrors=false >"$log/build.txt" 2>&1 \
  || { cat "$log/build.txt" >&2; echo "update-public-api: the shipped projects do not compile" >&2; exit 1; }

# 4. Write Unshipped.txt from RS0016/RS0017.
for project in "${shipped[@]}"; do
  name=$(basename "$project" .csproj)
  if [[ ! -f "$log/$name.sarif" ]]; then
    echo "update-public-api: no compiler log for $name; was it compiled?" >&2
    exit 1
  fi
  python3 - "$log/$name.sarif" "$(dirname "$project")" <<'PY'
import json, re, sys

sarif_path, folder = sys.argv[1], sys.argv[2]
header = "#nullable enable"

def api_lines(path):
    with open(path, encoding="utf-8-sig") as f:
        return {line.rstrip("\r\n") for line in f if line.strip() and not line.startswith("#")}

shipped = api_lines(f"{folder}/PublicAPI.Shipped.txt")
added, removed = set(), set()
with open(sarif_path, encoding="utf-8-sig") as f:
    results = [r for run in json.load(f)["runs"] for r in run.get("results", [])]
for result in results:
    if result.get("suppressions"):
        continue  # suppressed in source on purpose
    rule = result.get("ruleId")
    properties = result.get("properties", {}).get("customProperties", {})
    if rule == "RS0016":
        added.add(properties["APIName"])
        # When a symbol changes form (for example gains nullable annotations), the old line goes.
        for sibling in re.split(r";;", properties.get("ApiNamesOfSiblingsToRemove", "")):
            if sibling in shipped:
                removed.add(sibling)
    elif rule == "RS0017":
        match = re.match(r"Symbol '(.*)' is part of the declared API", result["message"]["text"], re.S)
        if not match:
            sys.exit(f"update-public-api: cannot read RS0017 message: {result['message']['text']}")
        name = match.group(1)
        if name.startswith("*REMOVED*"):
            continue
        if name in shipped:
            removed.add(name)

lines = sorted(added - shipped) + sorted("*REMOVED*" + name for name in removed)
with open(f"{folder}/PublicAPI.Unshipped.txt", "w", encoding="utf-8", newline="\n") as f:
    f.write(header + "\n")
    for line in lines:
        f.write(line + "\n")
print(f"update-public-api: {folder}/PublicAPI.Unshipped.txt: {len(lines)} lines")
PY
done

# 5. The normal build (warnings as errors) must now accept the baseline.
dotnet build "$solution" -c "$configuration" -nologo -v:q >"$log/build.txt" 2>&1 \
  || { grep -E "error|warning" "$log/build.txt" | sort -u >&2; echo "update-public-api: the shipped projects still fail with the new baseline" >&2; exit 1; }
echo "update-public-api: done"
