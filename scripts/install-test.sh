#!/usr/bin/env bash
# `make install` into a temporary DESTDIR, the installed binary run from another directory (it must find
# its model under share/fercam, not in this tree), then `make uninstall`, which must leave nothing behind.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=$(mktemp -d /tmp/fercam-install-XXXXXX)
trap 'rm -rf "$dest"' EXIT
fail() { echo "install test: $*" >&2; exit 1; }

make --no-print-directory install DESTDIR="$dest" PREFIX=/usr UDEV=1 >/dev/null
bin="$dest/usr/bin/fercam"
for f in usr/bin/fercam usr/share/fercam/fercam-resnet-cbam.safetensors usr/share/fercam/fercam-deep-emotion.safetensors \
         usr/share/fercam/fercam-lbp-attention.safetensors usr/share/fercam/fercam-manet.safetensors \
         usr/share/fercam/fercam-cnn-alstm.safetensors usr/share/fercam/fercam-resnet-cbam.posed.json usr/share/fercam/MODEL.md \
         usr/share/fercam/detector-blazeface.safetensors usr/share/fercam/detector-blazeface-full.safetensors \
         usr/share/fercam/LICENSE.mediapipe \
         usr/share/man/man1/fercam.1 usr/share/bash-completion/completions/fercam \
         usr/share/zsh/site-functions/_fercam usr/share/fish/vendor_completions.d/fercam.fish \
         etc/udev/rules.d/70-fercam-camera.rules; do
  [ -s "$dest/$f" ] || fail "$f was not installed"
done
if ldd "$bin" | grep -q swift; then fail "the installed binary needs the Swift toolchain's libraries"; fi
grep -q '^\.Dt FERCAM 1' "$dest/usr/share/man/man1/fercam.1" || fail "the man page has no .Dt header"
grep -q 'Fl -render' "$dest/usr/share/man/man1/fercam.1" || fail "the man page does not describe --render"
bash -n "$dest/usr/share/bash-completion/completions/fercam" || fail "the bash completion does not parse"
grep -q -- '--input' "$dest/usr/share/bash-completion/completions/fercam" || fail "bash completion lacks --input"

# From another directory, with no hint where the model is.
picture=$(mktemp /tmp/fercam-face-XXXXXX.pgm)
trap 'rm -rf "$dest" "$picture"' EXIT
ffmpeg -nostdin -loglevel error -y -f lavfi -i "testsrc2=size=320x240" -frames:v 1 -f image2 -c:v pgm "$picture"
out=$(cd / && env -u FERCAM_MODEL "$bin" --input "$picture" --stdout --no-timings)
[[ "$out" == *'"faces":'* ]] || fail "the installed binary printed no frame: $out"
# Every installed seed system is found by name.
models=$(cd / && "$bin" models --json --no-timing)
for name in resnet-cbam lbp-attention cnn-alstm deep-emotion manet; do
  grep -q "\"model\":\"$name\".*\"path\":\"$dest/usr/share/fercam/fercam-$name.safetensors\",\"installed\":true" <<<"$models" \
    || fail "fercam models does not list the installed $name: $models"
done
out=$(cd / && env -u FERCAM_MODEL "$bin" --model cnn-alstm --input "$picture" --stdout --no-timings)
[[ "$out" == *'"faces":'* ]] || fail "the installed binary printed no frame with --model cnn-alstm: $out"
# The model it loads is the installed one: hide it and the binary must say so.
mv "$dest/usr/share/fercam/fercam-resnet-cbam.safetensors" "$dest/model.bak"
if (cd / && env -u FERCAM_MODEL "$bin" --input "$picture" --stdout >/dev/null 2>&1); then
  fail "the binary ran without its installed model (it found one in the build tree?)"
fi
mv "$dest/model.bak" "$dest/usr/share/fercam/fercam-resnet-cbam.safetensors"

make --no-print-directory uninstall DESTDIR="$dest" PREFIX=/usr >/dev/null
left=$(find "$dest" -type f)
[ -z "$left" ] || fail "make uninstall left: $left"
echo "install test: passed (installed, ran from /, uninstalled cleanly)"
