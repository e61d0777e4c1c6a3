# test_synth.sh — `lorat synth`: the GOT-10k layout it writes, the ground truth's rules (first
# frame fully visible and large enough, boxes inside the image, absence/cover/cut consistent,
# absent frames present somewhere in a 20-sequence set), frames that decode to the right size,
# determinism (same seed → same bytes whatever the threads; another seed → other bytes; a
# sequence depends only on (seed, index)), and the exit statuses of bad arguments and I/O errors.
. "$(dirname "$0")/lib.sh"

# exit_is "description" STATUS command...: the command must exit with exactly STATUS.
exit_is() {
    local what=$1 want=$2
    shift 2
    "$@" >"$TMP/exit.log" 2>&1
    local rc=$?
    if [ $rc -eq "$want" ]; then pass; else fail "$what: exit status $rc (expected $want)"; cat "$TMP/exit.log" >&2; fi
}

A=$TMP/a
check "synth 20x100 runs" "$LORAT" synth --out "$A" --sequences 20 --frames 100 --seed 7
cp "$TMP/last.log" "$TMP/run.log"
check "summary line on stdout" grep -q "wrote 20 sequences x 100 frames (320x240, domain 0, seed 7)" "$TMP/run.log"

# Layout and ground truth, checked in one pass (python3 without PIL: JPEG sizes from the SOF marker).
cat >"$TMP/check.py" <<'EOF'
import os, re, struct, sys

root, n_seq, n_frames, W, H = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
errors = []
def err(msg):
    errors.append(msg)

def jpeg_size(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] != b"\xff\xd8":
        return None
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:
            i += 1
            continue
        length = struct.unpack(">H", data[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            h, w = struct.unpack(">HH", data[i + 5:i + 9])
            return w, h
        i += 2 + length
    return None

names = open(os.path.join(root, "list.txt")).read().split()
if names != ["synth_%06d" % k for k in range(1, n_seq + 1)]:
    err("list.txt holds %r" % names[:5])
absent_total = partial_total = cut_total = 0
line_re = re.compile(r"^-?\d+\.\d{4},-?\d+\.\d{4},\d+\.\d{4},\d+\.\d{4}$")
for name in names:
    d = os.path.join(root, name)
    frames = sorted(f for f in os.listdir(d) if f.endswith(".jpg"))
    if frames != ["%08d.jpg" % k for k in range(1, n_frames + 1)]:
        err("%s: %d frames, expected %d named 00000001.jpg..." % (name, len(frames), n_frames))
    if any(f.endswith(".tmp") for f in os.listdir(d)):
        err("%s: temporary files left behind" % name)
    lines = {}
    for f in ("groundtruth.txt", "absence.label", "cover.label", "cut_by_image.label"):
        lines[f] = open(os.path.join(d, f)).read().splitlines()
        if len(lines[f]) != n_frames:
            err("%s/%s has %d lines, expected %d" % (name, f, len(lines[f]), n_frames))
    meta = open(os.path.join(d, "meta_info.ini")).read().splitlines()
    if meta[0] != "[METAINFO]":
        err("%s: meta_info.ini starts with %r" % (name, meta[0]))
    kv = dict(l.split(": ", 1) for l in meta[1:] if ": " in l)
    for key, want in (("resolution", "(%d, %d)" % (W, H)), ("anno_fps", "10Hz"), ("object_class", "synthetic"),
                      ("seed", sys.argv[6]), ("domain", sys.argv[7])):
        if kv.get(key) != want:
            err("%s: meta_info.ini %s is %r, expected %r" % (name, key, kv.get(key), want))
    for t in range(min(n_frames, len(lines["groundtruth.txt"]))):
        gt = lines["groundtruth.txt"][t]
        if not line_re.match(gt):
            err("%s frame %d: groundtruth line %r is not x,y,w,h with 4 decimals" % (name, t + 1, gt))
            continue
        x, y, w, h = map(float, gt.split(","))
        absent, cover, cut = int(lines["absence.label"][t]), int(lines["cover.label"][t]), int(lines["cut_by_image.label"][t])
        if x < 0 or y < 0 or x + w > W + 1e-3 or y + h > H + 1e-3:
            err("%s frame %d: box %s is not inside the %dx%d image" % (name, t + 1, gt, W, H))
        if absent not in (0, 1) or cut not in (0, 1) or not 0 <= cover <= 8:
            err("%s frame %d: labels out of range" % (name, t + 1))
        if (absent == 1) != (cover == 0):
            err("%s frame %d: absence %d but cover %d" % (name, t + 1, absent, cover))
        if cover == 8 and cut:
            err("%s frame %d: fully visible but cut by the image" % (name, t + 1))
        if t == 0 and (absent or cover != 8 or cut or w < 20 or h < 20 or x <= 0 or y <= 0 or x + w >= W or y + h >= H):
            err("%s: first frame is not fully visible and >= 20 px: %s absent %d cover %d cut %d" % (name, gt, absent, cover, cut))
        absent_total += absent
        partial_total += 0 < cover < 8
        cut_total += cut
    for f in frames:
        size = jpeg_size(os.path.join(d, f))
        if size != (W, H):
            err("%s/%s: JPEG size %r, expected %r" % (name, f, size, (W, H)))
print("absent %d, partly visible %d, cut %d" % (absent_total, partial_total, cut_total))
if n_seq >= 20 and (absent_total == 0 or partial_total == 0 or cut_total == 0):
    err("a %d-sequence set should have absent, partly visible and cut frames" % n_seq)
for e in errors[:20]:
    print("error:", e)
sys.exit(1 if errors else 0)
EOF
check "layout, labels and frames (domain 0)" "$PYTHON" "$TMP/check.py" "$A" 20 100 320 240 7 0
cat "$TMP/last.log"

# Determinism: another thread count gives the same bytes (the first 6 sequences again, on one
# thread instead of two); another seed other bytes.
sums() { (cd "$1" && find synth_00000[1-6] -type f | sort | xargs md5sum); }
check "synth again with 1 thread" "$LORAT" synth --out "$TMP/b" --sequences 6 --frames 100 --seed 7 --threads 1
sums "$A" >"$TMP/a.md5"
sums "$TMP/b" >"$TMP/b.md5"
check "same seed, same bytes" cmp "$TMP/a.md5" "$TMP/b.md5"
check "md5 lists cover every file" bash -c "[ \$(wc -l <'$TMP/a.md5') -eq \$((6 * 105)) ]"
check "synth with another seed" "$LORAT" synth --out "$TMP/c" --sequences 3 --frames 20 --seed 8
check "another seed, other frames" bash -c "! cmp -s '$A/synth_000002/00000001.jpg' '$TMP/c/synth_000002/00000001.jpg'"
check "another seed, other boxes" bash -c "! cmp -s <(head -20 '$A/synth_000002/groundtruth.txt') '$TMP/c/synth_000002/groundtruth.txt'"
# A sequence depends only on (seed, index): two sequences from index 5 match those of the full set.
check "synth from --first-index 5" "$LORAT" synth --out "$TMP/d" --sequences 2 --frames 100 --seed 7 --first-index 5
check "sequence 5 alone = sequence 5 of the set" bash -c "cd '$TMP/d' && diff <(cd synth_000005 && md5sum *) <(cd '$A/synth_000005' && md5sum *)"
check "list.txt from --first-index" bash -c "[ \"\$(cat '$TMP/d/list.txt')\" = \"\$(printf 'synth_000005\nsynth_000006')\" ]"
# Chunks into one folder: list.txt keeps earlier names; a shorter rerun leaves no stale frames.
check "second chunk into the same folder" "$LORAT" synth --out "$TMP/d" --sequences 1 --frames 10 --seed 7 --first-index 1
check "list.txt merged" bash -c "[ \$(wc -l <'$TMP/d/list.txt') -eq 3 ] && head -1 '$TMP/d/list.txt' | grep -qx synth_000001"
check "shorter rerun" "$LORAT" synth --out "$TMP/d" --sequences 1 --frames 10 --seed 7 --first-index 5
check "no stale frames" bash -c "[ \$(ls '$TMP/d/synth_000005' | grep -c jpg) -eq 10 ] && [ \$(wc -l <'$TMP/d/synth_000005/groundtruth.txt') -eq 10 ]"

# Domain 1, another size, a single frame.
check "domain 1 at 256x192" "$LORAT" synth --out "$TMP/e" --sequences 4 --frames 40 --seed 3 --domain 1 --size 256x192 --quality 80
check "layout, labels and frames (domain 1)" "$PYTHON" "$TMP/check.py" "$TMP/e" 4 40 256 192 3 1
check "one frame" "$LORAT" synth --out "$TMP/f" --sequences 2 --frames 1 --seed 0 --size 64x64
check "layout, labels and frames (one 64x64 frame)" "$PYTHON" "$TMP/check.py" "$TMP/f" 2 1 64 64 0 0

# Photographs as domain-1 backgrounds: the test makes its "photographs" (frames of domain 0 at
# another size, one PNG). Most sequences say which photo is behind them, and their first frame
# is another picture than the procedural background of the same seed; deterministic; the same
# layout rules hold.
mkdir -p "$TMP/photos"
cp "$A/synth_000003/00000001.jpg" "$TMP/photos/b.jpg"
cp "$A/synth_000004/00000001.jpg" "$TMP/photos/a.jpg"
check "a PNG photograph" "$PYTHON" -c "
import struct, zlib, sys
w, h = 90, 70
raw = b''.join(b'\x00' + b''.join(bytes((x * 3 % 256, y * 3 % 256, (x + y) % 256)) for x in range(w)) for y in range(h))
chunk = lambda t, d: struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
open('$TMP/photos/c.png', 'wb').write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))
"
check "domain 1 with photographs" "$LORAT" synth --out "$TMP/p" --sequences 8 --frames 20 --seed 3 --domain 1 --backgrounds "$TMP/photos"
check "layout, labels and frames (photographs)" "$PYTHON" "$TMP/check.py" "$TMP/p" 8 20 320 240 3 1
check "most sequences name their photograph" bash -c "[ \$(cat '$TMP'/p/*/meta_info.ini | grep -cE '^background: photo (a.jpg|b.jpg|c.png)\$') -ge 4 ]"
check "the others say procedural" bash -c "[ \$(cat '$TMP'/p/*/meta_info.ini | grep -c '^background: ') -eq 8 ]"
check "domain 1 without photographs, same seed" "$LORAT" synth --out "$TMP/q" --sequences 8 --frames 20 --seed 3 --domain 1
check "photographs change the frames" bash -c "! cmp -s '$TMP/p/synth_000001/00000001.jpg' '$TMP/q/synth_000001/00000001.jpg' || ! cmp -s '$TMP/p/synth_000002/00000001.jpg' '$TMP/q/synth_000002/00000001.jpg'"
check "photographs again, one thread" "$LORAT" synth --out "$TMP/p1" --sequences 8 --frames 20 --seed 3 --domain 1 --backgrounds "$TMP/photos" --threads 1
check "photographs: same seed, same bytes" diff -r "$TMP/p" "$TMP/p1"
mkdir -p "$TMP/nophotos"
check_error "a folder without photographs" "holds no" "$LORAT" synth --out "$TMP/g" --sequences 1 --frames 1 --seed 1 --domain 1 --backgrounds "$TMP/nophotos"
printf 'not a jpeg' >"$TMP/nophotos/broken.jpg"
check_error "a broken photograph is named" "broken.jpg" "$LORAT" synth --out "$TMP/g" --sequences 1 --frames 1 --seed 1 --domain 1 --backgrounds "$TMP/nophotos"
exit_is "--backgrounds without --domain 1" 2 "$LORAT" synth --out "$TMP/g" --sequences 1 --frames 1 --seed 1 --backgrounds "$TMP/photos"

# Bad arguments: exit 2 with the usage; I/O errors: exit 1 naming the path.
exit_is "no arguments" 2 "$LORAT" synth
check_error "missing --seed" "required" "$LORAT" synth --out "$TMP/g" --sequences 1 --frames 1
exit_is "--frames 0" 2 "$LORAT" synth --out "$TMP/g" --sequences 1 --frames 0 --seed 1
exit_is "--sequences x" 2 "$LORAT" synth --out "$TMP/g" --sequences x --frames 1 --seed 1
exit_is "--seed -1" 2 "$LORAT" synth --out "$TMP/g" --sequences 1 --frames 1 --seed -1
exit_is "--size 32x32" 2 "$LORAT" synth --out "$TMP/g" --sequences 1 --frames 1 --seed 1 --size 32x32
exit_is "--size 320" 2 "$LORAT" synth --out "$TMP/g" --sequences 1 --frames 1 --seed 1 --size 320
exit_is "--domain 2" 2 "$LORAT" synth --out "$TMP/g" --sequences 1 --frames 1 --seed 1 --domain 2
exit_is "--quality 0" 2 "$LORAT" synth --out "$TMP/g" --sequences 1 --frames 1 --seed 1 --quality 0
exit_is "unknown option" 2 "$LORAT" synth --out "$TMP/g" --sequences 1 --frames 1 --seed 1 --bogus
check_error "usage printed" "usage: lorat synth" "$LORAT" synth --frames 1
check "nothing written on bad arguments" test ! -e "$TMP/g"
touch "$TMP/file"
exit_is "out dir under a file" 1 "$LORAT" synth --out "$TMP/file/sub" --sequences 1 --frames 1 --seed 1
check_error "out dir error names the path" "$TMP/file" "$LORAT" synth --out "$TMP/file/sub" --sequences 1 --frames 1 --seed 1
mkdir -p "$TMP/ro/synth_000001"
touch "$TMP/ro/synth_000001/groundtruth.txt.tmp"
chmod 0555 "$TMP/ro/synth_000001"
if [ "$(id -u)" -ne 0 ]; then
    check_error "read-only sequence folder names the path" "$TMP/ro/synth_000001" \
        "$LORAT" synth --out "$TMP/ro" --sequences 1 --frames 2 --seed 1
fi
chmod 0755 "$TMP/ro/synth_000001"

finish
