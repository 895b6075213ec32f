"""Rendition benchmark: Fanfare's pipeline against plain Pillow and libvips on 12 MP phone photos.

    .venv/bin/python bench/renditions.py [--rounds 3] [--files 6]

Generates phone-like photos into a temporary folder (not timed), then times, interleaved on the same
files, three ways of making the same output set (1600, 800 and 320 px long side, each in WebP q80
and JPEG q82, upright, no metadata):

  (a) fanfare  submissions.media.make_renditions, as the app runs it
  (b) pillow   the straightforward way: open, exif_transpose, LANCZOS from the full picture per size
  (c) libvips  pyvips thumbnail, the faster of one thumbnail per size and a chained thumbnail

Peak memory is measured in a fresh child process per pipeline (ru_maxrss, which counts what libvips
allocates natively), and for Fanfare also on a 50-megapixel JPEG. The last line reads
`renditions: fanfare/pillow=<ratio> fanfare/libvips=<ratio> peak_mb_50mp=<MB>`.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageOps

ROOT = Path(__file__).resolve().parent.parent
SIZES = (1600, 800, 320)  # long side, as submissions.media.RENDITION_SIZES
FORMATS = ("webp", "jpeg")
WEBP_Q = 80  # the same quality numbers for every pipeline (Fanfare's own, see media._encoder_options)
JPEG_Q = 82
MAX_PIXELS = 50_000_000  # a campaign's default limit
PHOTOS = [  # (stored size, EXIF orientation): 4:3 landscape, rotated by the camera, or stored portrait
    ((4000, 3000), 1),
    ((4000, 3000), 6),
    ((3000, 4000), 1),
    ((4000, 3000), 8),
    ((4000, 3000), 1),
    ((4000, 3000), 6),
]
BIG_PHOTO = ((8660, 5773), 6)  # 49.99 MP
CAMERA_TAGS = {0x010F, 0x0110, 0x0132}  # make, model, date written by phone_photo()

Output = list[tuple[str, int, int, bytes]]  # (format, width, height, data)


# --------------------------------------------------------------------------------------------------
# Test photos


def phone_photo(seed: int, size: tuple[int, int], orientation: int) -> bytes:
    """A 'photo': tilted gradient, shapes with soft edges, mid-frequency texture and sensor noise.

    Saved like a phone does: JPEG q90, 4:2:0, EXIF with make, model, date and orientation.
    """
    rnd = random.Random(seed)
    w, h = size

    def colour() -> tuple[int, int, int]:
        base = rnd.randrange(40, 215)
        return tuple(max(0, min(255, base + rnd.randrange(-70, 71))) for _ in range(3))  # type: ignore[return-value]  # range(3): three channels

    gradient = Image.linear_gradient("L").rotate(rnd.randrange(360)).resize((w, h), Image.Resampling.BILINEAR)
    im = Image.composite(Image.new("RGB", (w, h), colour()), Image.new("RGB", (w, h), colour()), gradient)
    draw = ImageDraw.Draw(im)
    for _ in range(90):
        x, y, r = rnd.randrange(w), rnd.randrange(h), rnd.randrange(10, min(w, h) // 6)
        kind = rnd.random()
        if kind < 0.4:
            draw.ellipse((x - r, y - r, x + r, y + r), fill=colour())
        elif kind < 0.7:
            draw.rectangle((x - r, y - r // 2, x + r, y + r // 2), fill=colour())
        else:
            end = (x + rnd.randrange(-w // 3, w // 3), y + rnd.randrange(-h // 3, h // 3))
            draw.line((x, y, *end), fill=colour(), width=rnd.randrange(2, 30))
    im = im.filter(ImageFilter.GaussianBlur(1.2))  # lens softness
    tw, th = w // 16, h // 16
    texture = Image.frombytes("RGB", (tw, th), rnd.randbytes(tw * th * 3)).resize((w, h), Image.Resampling.BICUBIC)
    im = Image.blend(im, texture, 0.12)
    im = Image.blend(im, Image.frombytes("RGB", (w, h), rnd.randbytes(w * h * 3)), 0.04)
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "FanfareCam"
    exif[0x0110] = "Model 7"
    exif[0x0132] = "2026:05:01 12:00:00"
    out = io.BytesIO()
    im.save(out, "JPEG", quality=90, subsampling="4:2:0", exif=exif.tobytes())
    return out.getvalue()


def generate(folder: Path, count: int) -> tuple[list[Path], Path]:
    paths = []
    for i in range(count):
        size, orientation = PHOTOS[i % len(PHOTOS)]
        path = folder / f"photo{i}-{size[0]}x{size[1]}-o{orientation}.jpg"
        path.write_bytes(phone_photo(i, size, orientation))
        paths.append(path)
    size, orientation = BIG_PHOTO
    big = folder / f"big-{size[0]}x{size[1]}-o{orientation}.jpg"
    big.write_bytes(phone_photo(99, size, orientation))
    return paths, big


# --------------------------------------------------------------------------------------------------
# The pipelines. Imports are lazy so that each memory child loads only its own libraries.


def fit(width: int, height: int, long_side: int) -> tuple[int, int]:
    scale = long_side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _media():
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from submissions import media

    return media


def run_fanfare(data: bytes) -> Output:
    _info, images = _media().make_renditions(io.BytesIO(data), max_pixels=MAX_PIXELS)
    return [(i.format, i.width, i.height, i.data) for i in images]


def run_pillow(data: bytes) -> Output:
    with Image.open(io.BytesIO(data)) as src:
        im = ImageOps.exif_transpose(src)
    if im.mode != "RGB":
        im = im.convert("RGB")
    out: Output = []
    for long_side in SIZES:
        small = im.resize(fit(*im.size, long_side), Image.Resampling.LANCZOS)
        small.info = {}
        for fmt in FORMATS:
            buf = io.BytesIO()
            if fmt == "webp":
                small.save(buf, "WEBP", quality=WEBP_Q)  # Pillow's default method=4
            else:
                small.save(buf, "JPEG", quality=JPEG_Q)  # Pillow's defaults: baseline, no optimize
            out.append((fmt, *small.size, buf.getvalue()))
    return out


def _vips():
    import pyvips

    pyvips.cache_set_max(0)  # real uploads never repeat; the operation cache would flatter repeats
    return pyvips


METADATA_FIELDS = ("exif-data", "xmp-data", "iptc-data", "icc-profile-data")


def _vips_save(im, webp_effort: int | None) -> list[tuple[str, int, int, bytes]]:
    pyvips = _vips()
    if pyvips.at_least_libvips(8, 15):
        strip = {"keep": 0}
    else:
        # libvips < 8.15 ignores strip in webpsave (libvips/libvips#3340): drop the fields first. It still
        # writes a minimal EXIF chunk of its own (orientation 1, resolution), without the camera's tags.
        strip = {"strip": True}
        im = im.copy()
        for field in im.get_fields():
            if field in METADATA_FIELDS or field.startswith("exif-"):
                im.remove(field)
    effort = {} if webp_effort is None else {"effort": webp_effort}
    return [
        ("webp", im.width, im.height, im.webpsave_buffer(Q=WEBP_Q, **effort, **strip)),
        ("jpeg", im.width, im.height, im.jpegsave_buffer(Q=JPEG_Q, **strip)),
    ]


def run_vips_per_size(data: bytes, webp_effort: int | None = None) -> Output:
    """One thumbnail per size from the file (shrink-on-load each time), autorotated."""
    pyvips = _vips()
    out: Output = []
    for long_side in SIZES:
        im = pyvips.Image.thumbnail_buffer(data, long_side, size="down").copy_memory()
        out += _vips_save(im, webp_effort)
    return out


def run_vips_chained(data: bytes, webp_effort: int | None = None) -> Output:
    """The largest thumbnail from the file, each smaller one from the last."""
    pyvips = _vips()
    out: Output = []
    im = None
    for long_side in SIZES:
        if im is None:
            im = pyvips.Image.thumbnail_buffer(data, long_side, size="down")
        else:
            im = im.thumbnail_image(long_side, size="down")
        im = im.copy_memory()  # render once for both encoders and the next size
        out += _vips_save(im, webp_effort)
    return out


PIPELINES: dict[str, Callable[[bytes], Output]] = {
    "fanfare": run_fanfare,
    "pillow": run_pillow,
    "libvips/per-size": run_vips_per_size,
    "libvips/chained": run_vips_chained,
    "libvips/chained e2": lambda data: run_vips_chained(data, webp_effort=2),  # context only
}
CONTEXT_ONLY = {"libvips/chained e2"}


# --------------------------------------------------------------------------------------------------
# Checks: the same output set, no metadata, and how far each output is from the reference pixels


def psnr(a: Image.Image, b: Image.Image) -> float:
    histogram = ImageChops.difference(a, b).histogram()
    squared = sum(count * (i % 256) ** 2 for i, count in enumerate(histogram))
    mse = squared / (a.width * a.height * 3)
    return 99.0 if mse == 0 else 10 * math.log10(255**2 / mse)


def check(paths: list[Path]) -> tuple[dict, dict[str, list[int]], list[str], list[str]]:
    """PSNR per pipeline, format and size against LANCZOS from the full upright picture (not encoded)."""
    scores: dict[str, dict[tuple[str, int], list[float]]] = {name: {} for name in PIPELINES}
    sizes: dict[str, list[int]] = {name: [] for name in PIPELINES}
    problems = []
    minimal_exif: set[str] = set()
    for path in paths:
        data = path.read_bytes()
        with Image.open(path) as src:
            full = ImageOps.exif_transpose(src).convert("RGB")
        reference = {
            long_side: full.resize(fit(*full.size, long_side), Image.Resampling.LANCZOS) for long_side in SIZES
        }
        del full
        jpeg_tables = {}
        for name, run in PIPELINES.items():
            outputs = run(data)
            want = sorted((fmt, *reference[side].size) for side in SIZES for fmt in FORMATS)
            if sorted(o[:3] for o in outputs) != want:
                problems.append(f"{name} on {path.name}: made {sorted(o[:3] for o in outputs)}, want {want}")
                continue
            sizes[name].append(sum(len(o[3]) for o in outputs))
            for fmt, width, height, blob in outputs:
                with Image.open(io.BytesIO(blob)) as im:
                    exif = dict(im.getexif())
                    if exif:
                        minimal_exif.add(name)
                    strict = name == "fanfare" and exif  # Fanfare promises no EXIF at all
                    if strict or set(exif) & CAMERA_TAGS or exif.get(0x0112, 1) != 1 or "icc_profile" in im.info:
                        problems.append(f"{name} on {path.name}: metadata left in {fmt} {width}x{height}")
                    if fmt == "jpeg" and max(width, height) == SIZES[0]:
                        jpeg_tables[name] = repr({k: list(v) for k, v in im.quantization.items()})
                    pixels = im.convert("RGB")
                side = max(width, height)
                scores[name].setdefault((fmt, side), []).append(psnr(pixels, reference[side]))
        if len(set(jpeg_tables.values())) > 1:
            problems.append(f"JPEG quantisation tables differ between pipelines on {path.name} (quality mismatch)")
    notes = [f"{', '.join(sorted(minimal_exif))}: a minimal EXIF block of the encoder's own (no camera tags)"]
    notes = notes if minimal_exif else []
    return scores, sizes, problems, notes


# --------------------------------------------------------------------------------------------------
# Timing (interleaved, in this process) and memory (one fresh child per pipeline)


def time_all(paths: list[Path], rounds: int) -> tuple[dict[str, list[list[float]]], dict[str, list[float]]]:
    files = [p.read_bytes() for p in paths]
    names = list(PIPELINES)
    for name in names:  # warm up: imports, libvips start-up, first-call costs
        PIPELINES[name](files[0])
    wall: dict[str, list[list[float]]] = {name: [[] for _ in files] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    turn = 0
    for _round in range(rounds):
        for index, data in enumerate(files):
            turn += 1
            for name in names[turn % len(names) :] + names[: turn % len(names)]:  # rotate who goes first
                c0, t0 = time.process_time(), time.perf_counter()
                PIPELINES[name](data)
                wall[name][index].append(time.perf_counter() - t0)
                cpu[name].append(time.process_time() - c0)  # all threads of the process, libvips' too
    return wall, cpu


def peak_in_child(name: str, paths: list[Path]) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", name, *map(str, paths)]
    result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)  # noqa: S603
    if result.returncode != 0:
        raise RuntimeError(f"memory child for {name} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def child(name: str, paths: list[str]) -> None:
    files = [Path(p).read_bytes() for p in paths]
    run = PIPELINES[name]
    if name == "fanfare":  # the imports first, to tell them from the work
        _media()
    elif name.startswith("libvips"):
        _vips()
    baseline = peak_rss_mb()
    for data in files:
        run(data)
    print(json.dumps({"baseline_mb": baseline, "peak_mb": peak_rss_mb()}))


def peak_rss_mb() -> float:
    """This process's peak resident set size, native allocations included.

    VmHWM rather than ru_maxrss: on Linux ru_maxrss survives exec(), so a child would report the peak of
    the parent it was forked from (here over 1 GB, from generating the 50 MP photo).
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --------------------------------------------------------------------------------------------------


def settings_lines() -> list[str]:
    pyvips = _vips()
    media = _media()
    assert media.RENDITION_SIZES == SIZES
    assert media.RENDITION_FORMATS == FORMATS
    options = {side: media._encoder_options("webp", (side, side)) for side in SIZES}
    webp = ", ".join(f"{side}: method {o['method']}" for side, o in options.items())
    jpeg = media._encoder_options("jpeg", (SIZES[0], SIZES[0]))
    return [
        f"quality everywhere: WebP q{WEBP_Q}, JPEG q{JPEG_Q}; outputs upright, metadata stripped",
        f"fanfare:  JPEG draft (DCT-scaled decode) to >= {SIZES[0]} px, LANCZOS to {SIZES[0]}, then each size from"
        f" the last by reduce() + LANCZOS; WebP {webp}; JPEG progressive={jpeg['progressive']}"
        f" optimize={jpeg['optimize']}; threads: yes, each size's encodes in a pool of {media._ENCODE_THREADS}"
        " worker threads while the main thread resizes the next size",
        "pillow:   full decode, exif_transpose, LANCZOS from the full picture per size; WebP method 4 and baseline"
        " JPEG (Pillow's defaults); single thread",
        f"libvips:  {'.'.join(map(str, (pyvips.version(0), pyvips.version(1), pyvips.version(2))))} via pyvips"
        f" {pyvips.__version__}, thumbnail (shrink-on-load, autorotate), WebP effort 4 and baseline JPEG (libvips"
        f" defaults), operation cache off, {pyvips.vips_lib.vips_concurrency_get()} worker threads (its default);"
        " 'chained e2' (WebP effort 2) is shown for context only",
        f"machine:  {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=3, help="timed passes over the files (default 3)")
    parser.add_argument("--files", type=int, default=6, help="generated 12 MP photos (default 6)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args, rest = parser.parse_known_args()
    if args.child:
        child(args.child, rest)
        return 0

    for line in settings_lines():
        print(line)
    with tempfile.TemporaryDirectory(prefix="fanfare-bench-") as tmp:
        started = time.perf_counter()
        paths, big = generate(Path(tmp), args.files)
        megabytes = sum(p.stat().st_size for p in paths) / len(paths) / 1e6
        portrait = sum(
            1 for i in range(len(paths)) if PHOTOS[i % len(PHOTOS)][1] in (6, 8) or "3000x4000" in paths[i].name
        )
        print(
            f"photos:   {len(paths)} of 12 MP, JPEG q90 + EXIF, {portrait} upright portrait, mean {megabytes:.1f} MB,"
            f" generated in {time.perf_counter() - started:.0f} s (not timed)"
        )

        scores, sizes, problems, notes = check(paths)
        wall, cpu = time_all(paths, args.rounds)
        memory = {name: peak_in_child(name, paths) for name in PIPELINES if name not in CONTEXT_ONLY}
        big_peak = peak_in_child("fanfare", [big])
        big_pillow = peak_in_child("pillow", [big])
        big_vips = peak_in_child("libvips/chained", [big])

    rate = {name: len(paths) / sum(statistics.median(times) for times in per_file) for name, per_file in wall.items()}
    vips_best = max(("libvips/per-size", "libvips/chained"), key=rate.__getitem__)
    print(f"\ntiming: {args.rounds} rounds x {len(paths)} photos, interleaved; images/s from the median time per photo")
    print(f"{'pipeline':22} {'images/s':>9} {'cpu ms/img':>11} {'KB/set':>7} {'peak MB':>8} {'(start MB)':>10}")
    for name in PIPELINES:
        mem = memory.get(name)
        peak = f"{mem['peak_mb']:8.0f} {mem['baseline_mb']:10.0f}" if mem else f"{'':8} {'':10}"
        mark = " <- libvips figure" if name == vips_best else ""
        print(
            f"{name:22} {rate[name]:9.2f} {1000 * statistics.mean(cpu[name]):11.0f}"
            f" {statistics.mean(sizes[name]) / 1024:7.0f} {peak}{mark}"
        )

    print("\nPSNR dB against LANCZOS from the full upright picture (before encoding), mean over photos:")
    columns = [(fmt, side) for fmt in FORMATS for side in SIZES]
    print(f"{'pipeline':22} " + " ".join(f"{fmt} {side:>4}".rjust(10) for fmt, side in columns))
    for name in PIPELINES:
        print(
            f"{name:22} "
            + " ".join(
                f"{statistics.mean(scores[name][c]):10.1f}" if scores[name].get(c) else f"{'-':>10}" for c in columns
            )
        )
    worst = min(statistics.mean(scores["fanfare"][c]) - statistics.mean(scores["pillow"][c]) for c in columns)
    print(f"fanfare vs pillow, worst column: {worst:+.1f} dB")

    print(
        f"\npeak RSS on the {BIG_PHOTO[0][0]}x{BIG_PHOTO[0][1]} JPEG (fresh process each): fanfare"
        f" {big_peak['peak_mb']:.0f} MB, pillow {big_pillow['peak_mb']:.0f} MB, libvips {big_vips['peak_mb']:.0f} MB"
    )
    a_b, a_c = rate["fanfare"] / rate["pillow"], rate["fanfare"] / rate[vips_best]
    goals = [
        ("fanfare/pillow >= 2", a_b >= 2),
        ("fanfare/libvips >= 1", a_c >= 1),
        ("50 MP peak < 300 MB", big_peak["peak_mb"] < 300),
    ]
    print("goals: " + ", ".join(f"{label}: {'yes' if ok else 'NO'}" for label, ok in goals))
    for note in notes:
        print("note:", note)
    for problem in problems:
        print("PROBLEM:", problem)
    print(f"renditions: fanfare/pillow={a_b:.2f} fanfare/libvips={a_c:.2f} peak_mb_50mp={big_peak['peak_mb']:.0f}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
