#!/usr/bin/python3
"""Writes a real aiortc WHEP offer (recvonly video + audio, host candidates on 127.0.0.1) to
bench/data/whep-offer.sdp. Run once; bench/control_plane.sh posts the stored file so every run,
old build or new, parses the same bytes."""
import asyncio
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples"))
from comfystream_client import offer_sdp  # noqa: E402

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "data", "whep-offer.sdp")
sdp = asyncio.run(offer_sdp("recvonly"))
with open(out, "w", newline="") as f:
    f.write(sdp)
print(f"{out}: {len(sdp)} bytes", file=sys.stderr)
