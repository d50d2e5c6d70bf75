#!/usr/bin/env bash
# The quant HTML report as a browser shows it (issue 14): headless Chromium
# renders the report of the README example (2 layers, 14 infos) and of
# generated models of 2 and 80 layers (tests/tools/make_quant_layers.py); a
# script added to the test's copy of the page measures the rendered layout
# and writes what it found into the DOM, which --dump-dom returns: the
# counts, both legend entries, no "nan" anywhere, every chart label inside
# its chart, the layer labels not overlapping, the chart no wider than 1000 px.
. "$(dirname "$0")/lib.bash"
PY=/usr/bin/python3
CHROME=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROME" ] || skip "chromium is not installed (tests/run.sh installs it)"
EX=$SRC/examples/tiny-qwen2

cat >"$TMP/check.js" <<'JS'
(function () {
  const out = [];
  const text = document.body.innerText;
  if (/\bnan\b/i.test(text)) out.push("nan in the page: " + text.match(/.{0,40}\bnan\b.{0,20}/i)[0]);
  const counts = document.getElementById("counts");
  out.push("counts: " + (counts ? counts.textContent : "(none)"));
  for (const svg of document.querySelectorAll("svg")) {
    const b = svg.getBoundingClientRect();
    for (const t of svg.querySelectorAll("text")) {
      const r = t.getBoundingClientRect();
      if (r.width === 0 || r.left < b.left - 0.5 || r.right > b.right + 0.5 || r.top < b.top - 0.5 || r.bottom > b.bottom + 0.5)
        out.push("label outside its chart " + svg.id + ": '" + t.textContent + "'");
    }
  }
  const chart = document.getElementById("layer-chart");
  if (chart) {
    const legend = [...chart.querySelectorAll(".legend text")].map(t => t.textContent);
    out.push("legend: " + legend.join(" | "));
    const ticks = [...chart.querySelectorAll("text.tick")].map(t => t.getBoundingClientRect());
    for (let i = 1; i < ticks.length; i++)
      if (ticks[i].left < ticks[i - 1].right) out.push("layer labels overlap at " + i);
    out.push("ticks: " + ticks.length + ", bars: " + chart.querySelectorAll("rect.bar").length +
             ", dots: " + chart.querySelectorAll("circle.dot").length);
    out.push("chart width: " + Math.round(chart.getBoundingClientRect().width));
  }
  const pre = document.createElement("pre");
  pre.id = "check";
  pre.textContent = out.join("\n");
  document.body.appendChild(pre);
})();
JS

# render NAME HTML: $TMP/NAME.check holds the script's findings
render() {
    local name=$1 html=$2
    $PY - "$html" "$TMP/check.js" >"$TMP/$name.render.html" <<'PY'
import sys
page, js = open(sys.argv[1]).read(), open(sys.argv[2]).read()
assert page.count("</body>") == 1
sys.stdout.write(page.replace("</body>", "<script>" + js + "</script></body>"))
PY
    timeout 60 "$CHROME" --headless --no-sandbox --disable-gpu --window-size=1200,1600 --dump-dom \
        "file://$TMP/$name.render.html" >"$TMP/$name.dom" 2>"$TMP/chrome.err"
    $PY - "$TMP/$name.dom" >"$TMP/$name.check" <<'PY'
import html, re, sys
m = re.search(r'<pre id="check">(.*?)</pre>', open(sys.argv[1]).read(), re.S)
print(html.unescape(m.group(1)) if m else "no check output: the script did not run")
PY
    ok
    grep -q '^counts: ' "$TMP/$name.check" || fail "$name: $(cat "$TMP/$name.check")"
}
# verdict NAME COUNTS TICKS BARS: the page as expected
verdict() {
    local name=$1 counts=$2 bars=$3
    expect_grep "^counts: Findings: $counts\.$" "$TMP/$name.check"
    expect_grep '^legend: weights SQNR | matmul output SQNR$' "$TMP/$name.check"
    expect_grep "bars: $bars, dots: $bars\$" "$TMP/$name.check"
    ok
    ! grep -E '^(nan in|label outside|layer labels overlap|no check)' "$TMP/$name.check" >&2 ||
        fail "$name: the rendered page has defects (above)"
    local w
    w=$(sed -n 's/^chart width: //p' "$TMP/$name.check")
    ok
    [ -n "$w" ] && [ "$w" -le 1000 ] || fail "$name: chart $w px wide"
}

# the README example: 14 infos, 2 layers
expect_rc 0 "$BIN" quant "$EX/onnx/model_q4.onnx" --ref "$EX" --html "$TMP/readme_report.html" -q
render readme "$TMP/readme_report.html"
verdict readme "0 error(s), 0 warning(s), 14 info(s)" 2
ok; ! grep -qi 'nan' "$TMP/readme_report.html" || fail "readme: 'nan' in the HTML source"

# 2 and 80 layers, and a failing gate (errors counted)
for L in 2 80; do
    $PY "$SRC/tests/tools/make_quant_layers.py" $L "$TMP/q$L" || fail "make_quant_layers.py $L failed"
    expect_rc 0 "$BIN" quant "$TMP/q$L/model_q4.onnx" --ref "$TMP/q$L/ref" --html "$TMP/q$L.html" -q
    render q$L "$TMP/q$L.html"
    verdict q$L "0 error(s), 0 warning(s), $((2 * L)) info(s)" $L
done
expect_grep '^ticks: 2,' "$TMP/q2.check"
# 80 layers: labels thinned out, the last layer labelled
n=$(sed -n 's/^ticks: \([0-9]*\),.*/\1/p' "$TMP/q80.check")
ok; [ -n "$n" ] && [ "$n" -ge 8 ] && [ "$n" -le 41 ] || fail "q80: $n layer labels"
expect_rc 1 "$BIN" quant "$TMP/q80/model_q4.onnx" --ref "$TMP/q80/ref" --min-sqnr 60 --html "$TMP/q80gate.html" -q
render q80gate "$TMP/q80gate.html"
errors=$(grep -c 'QT-101 error' "$TMP/q80gate.html")
ok; [ "$errors" -gt 1 ] || fail "q80gate: $errors QT-101 errors in the page"
verdict q80gate "$errors error(s), 0 warning(s), 160 info(s)" 80
# a screenshot of the 80-layer page is drawn (not blank)
timeout 60 "$CHROME" --headless --no-sandbox --disable-gpu --window-size=1200,1600 \
    --screenshot="$TMP/shot.png" "file://$TMP/q80.html" >/dev/null 2>&1
ok
[ "$(stat -c %s "$TMP/shot.png" 2>/dev/null || echo 0)" -gt 20000 ] || fail "chromium's screenshot of q80 is blank or missing"
finish
