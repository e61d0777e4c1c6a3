# test_fuzz_regressions.sh — every fuzz harness of tests/fuzz, built as a plain driver, over the
# seed corpora (tests/fuzz/seeds.sh, made here from what the other tests make) and over every
# input a fuzzer or a person ever found (tests/fuzz/regressions/<harness>/, kept for good): none
# may crash, hang or trip the sanitizers (CI runs this under ASan + UBSan too). A harness with no
# input at all fails.
. "$(dirname "$0")/lib.sh"
check "make the seed corpora" bash "$LORAT_SRC/tests/fuzz/seeds.sh" "$TMP/seeds" "$LORAT" "$PYTHON"
for src in "$LORAT_SRC"/tests/fuzz/fuzz_*.c; do
    name=$(basename "$src" .c)
    driver=$LORAT_BUILD/${name}_driver
    inputs=("$TMP/seeds/$name")
    [ -d "$LORAT_SRC/tests/fuzz/regressions/$name" ] && inputs+=("$LORAT_SRC/tests/fuzz/regressions/$name")
    check "$name over its seeds and regressions" timeout 300 "$driver" "${inputs[@]}"
done
finish
