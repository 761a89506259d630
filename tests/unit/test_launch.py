import pytest

from xpiler.errors import BadInput
from xpiler.launch import find_launch_line, launch_comment, parse_launch


def test_simt_launch_is_normalized():
    assert parse_launch("grid=4 block=256,2").text == "grid=4,1,1 block=256,2,1"


def test_bang_launch():
    l = parse_launch("tasks=16 clusters=4 cores=4 type=UNION4")
    assert l.get("tasks") == "16" and l.get("type") == "union4"


@pytest.mark.parametrize(
    "text, reason",
    [
        ("grid=4", "needs both"),
        ("grid=0 block=1", ">= 1"),
        ("grid=1,2,3,4 block=1", "1 to 3"),
        ("tasks=16 block=4", "mixes"),
        ("threads=3", "unknown launch key"),
        ("grid 4", "key=value"),
        ("", "empty"),
        ("tasks=x", "positive integer"),
        ("tasks=4 type=union3", "type must be"),
        ("grid=1 grid=2 block=1", "twice"),
    ],
)
def test_bad_launch_names_the_reason(text, reason):
    with pytest.raises(BadInput, match=reason):
        parse_launch(text)


def test_launch_line_round_trip():
    src = "#define N 4\n// xpiler:launch tasks=16 clusters=4 cores=4\n__mlu_global__ void k() {}\n"
    text = find_launch_line(src)
    assert text == "tasks=16 clusters=4 cores=4"
    assert launch_comment(parse_launch(text)) == "// xpiler:launch tasks=16 clusters=4 cores=4"
    assert find_launch_line("int x;") is None
