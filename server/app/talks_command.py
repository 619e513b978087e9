"""``hubtwin talks``: list the talk library, add a recording, produce the sample talks.

    hubtwin talks list
    hubtwin talks add vortrag.mp4 --title "Energie sparen im Betrieb" --speaker "A. Muster" \\
        --topic ressourcen --captions vortrag.de.vtt --chapter "0:00 Einstieg"
    hubtwin talks build-samples
"""

from __future__ import annotations

import argparse
import datetime
import sys
import time
from pathlib import Path
from typing import Any

from server.app.cli_site import add_site_options
from server.base.settings import load_settings
from world.errors import UsageError
from world.site import Site, load_site


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "talks", help="the talk library: list, add recordings, produce the sample talks"
    )
    add_site_options(parser, data_dir=True)
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    listing = actions.add_parser("list", help="list the talks and any problems with them")
    listing.add_argument("--topic", help="only talks on this topic")
    listing.add_argument("--search", help="only talks matching these words")
    listing.set_defaults(handler=list_talks)

    add = actions.add_parser("add", help="add a recording (checked, copied into the site)")
    add.add_argument("file", type=Path, help="the recording (video or sound)")
    add.add_argument("--title", required=True, help="title in the talk's language")
    add.add_argument(
        "--title-in",
        nargs=2,
        action="append",
        default=[],
        metavar=("LANG", "TITLE"),
        help="the title in another language (repeatable)",
    )
    add.add_argument("--speaker", help="who speaks (default: the hub's name)")
    add.add_argument("--date", help="when it was given, YYYY-MM-DD (default: today)")
    add.add_argument(
        "--topic", action="append", default=[], help="topic id (repeatable; see talks/topics.toml)"
    )
    add.add_argument("--language", help="language of the talk (default: the site's first)")
    add.add_argument("--summary", help="a sentence or two on what the talk is about")
    add.add_argument("--captions", type=Path, help="WebVTT captions in the talk's language")
    add.add_argument(
        "--captions-in",
        nargs=2,
        action="append",
        default=[],
        metavar=("LANG", "FILE"),
        help="WebVTT subtitles in another language (repeatable)",
    )
    add.add_argument(
        "--chapter",
        action="append",
        default=[],
        metavar="'M:SS TITLE'",
        help="a chapter, e.g. '12:30 Fragen' (repeatable)",
    )
    add.add_argument("--poster", type=Path, help="poster image (default: a frame of the video)")
    add.add_argument("--id", dest="talk_id", help="talk id (default: made from the title)")
    add.add_argument("--replace", action="store_true", help="replace a talk with the same id")
    add.set_defaults(handler=add_talk)

    build = actions.add_parser(
        "build-samples", help="produce the scripted sample talks (incremental)"
    )
    build.add_argument("--force", action="store_true", help="produce every talk again")
    build.add_argument("--jobs", type=int, default=2, help="talks produced at once (default 2)")
    build.add_argument("--quiet", action="store_true", help="print nothing when all went well")
    build.set_defaults(handler=build_samples)


def _site_and_generated(args: argparse.Namespace) -> tuple[Site, Path]:
    from server.domain.talks import generated_talks_dir

    settings = load_settings({"site": args.site, "data_dir": args.data_dir})
    return load_site(settings.site), generated_talks_dir(settings.resolved_data_dir)


def _clock(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}:{secs:02d}"


def list_talks(args: argparse.Namespace) -> int:
    from server.domain.talks import load_library

    site, generated = _site_and_generated(args)
    library = load_library(site, generated)
    talks = library.search(args.search, topic=args.topic)
    if not library.talks:
        print("no talks yet: hubtwin talks build-samples, or hubtwin talks add FILE --title …")
    elif not talks:
        print("no talk matches")
    else:
        print(f"{'id':<36} {'lang':<4} {'length':>6}  title [topics]")
        for talk in talks:
            print(
                f"{talk.id:<36} {talk.language:<4} {_clock(talk.duration_s):>6}  "
                f"{talk.title_in(talk.language)} [{', '.join(talk.topics)}]"
            )
    for problem in library.problems:
        print(f"hubtwin: warning: {problem}", file=sys.stderr)
    return 0


def add_talk(args: argparse.Namespace) -> int:
    from tools.talk_import import RecordingDetails, add_recording, parse_chapter

    settings = load_settings({"site": args.site, "data_dir": args.data_dir})
    site = load_site(settings.site)
    language = args.language or site.default_language
    title = {language: args.title.strip()}
    for lang, text in args.title_in:
        title[lang] = text.strip()
    if args.date:
        try:
            date = datetime.date.fromisoformat(args.date)
        except ValueError:
            raise UsageError(f"--date {args.date!r} is not a date like 2025-03-14") from None
    else:
        date = datetime.date.today()
    captions: dict[str, Path] = {}
    if args.captions:
        captions[language] = args.captions
    for lang, path in args.captions_in:
        captions[lang] = Path(path)
    details = RecordingDetails(
        title=title,
        speaker=(args.speaker or site.branding.short_name).strip(),
        language=language,
        date=date,
        topics=list(dict.fromkeys(args.topic)),
        summary={language: args.summary.strip()} if args.summary else {},
        captions=captions,
        chapters=sorted(parse_chapter(text) for text in args.chapter),
        poster=args.poster,
        talk_id=args.talk_id,
    )
    talk = add_recording(site, args.file, details, replace=args.replace)
    media = talk.media
    codecs = " + ".join(c for c in (media.video_codec, media.audio_codec) if c)
    size = f", {media.width}×{media.height}" if media.has_video else ""
    print(f"added talk {talk.id!r}: {_clock(talk.duration_s)}, {codecs}{size} → {talk.folder}")
    return 0


def build_samples(args: argparse.Namespace) -> int:
    from tools.talk_studio import BuildResult
    from tools.talk_studio import build_samples as build

    if not 1 <= args.jobs <= 8:
        raise UsageError("--jobs must be between 1 and 8")
    site, generated = _site_and_generated(args)
    started = time.perf_counter()

    def report(result: BuildResult) -> None:
        if args.quiet:
            return
        state = f"produced in {result.seconds:.1f} s" if result.built else "up to date"
        print(
            f"{result.talk_id:<40} {_clock(result.duration_s):>6} "
            f"{result.media_bytes / 1e6:5.2f} MB  {state}",
            flush=True,
        )

    results = build(site, generated, force=args.force, jobs=args.jobs, on_result=report)
    if not args.quiet:
        print(f"{len(results)} talks in {generated} ({time.perf_counter() - started:.1f} s)")
    return 0
