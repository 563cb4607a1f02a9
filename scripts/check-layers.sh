#!/usr/bin/env bash
# The dependency rule, checked: the domain knows neither diesel nor actix, the HTTP
# adapter never touches diesel, the store never touches actix. `cargo tree -i` fails
# with "did not match any packages" when the crate is absent from the tree, which is
# what we want; any other outcome (found, or another error) fails the check.
set -u
status=0
for pair in rookery-domain:diesel rookery-domain:actix-web rookery-http:diesel rookery-store:actix-web; do
  crate=${pair%%:*}; dep=${pair#*:}
  if out=$(cargo tree -q -e normal,build,dev -p "$crate" -i "$dep" 2>&1); then
    echo "layering violation: $crate depends on $dep:"; echo "$out"; status=1
  elif ! grep -q "did not match any packages" <<<"$out"; then
    echo "cannot check $crate -> $dep:"; echo "$out"; status=1
  else
    echo "ok: $crate does not depend on $dep"
  fi
done
exit $status
