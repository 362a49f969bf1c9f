#!/usr/bin/env python3
"""Derives src/detect/data/phone_metadata.tsv from libphonenumber's PhoneNumberMetadata.xml.

Usage: python3 scripts/phone_metadata.py PATH/TO/PhoneNumberMetadata.xml

One line per territory: id, country calling code, national prefix, national prefix for
parsing (a regex), and the national number patterns of every number type (fixed line,
mobile, toll free, premium rate, shared cost, personal, VoIP, pager, UAN, voicemail)
joined by '|', whitespace removed. Source: libphonenumber (Apache License 2.0); the
version is recorded in src/detect/data/PROVENANCE.md.
"""
import re
import sys
import xml.etree.ElementTree as ET

TYPES = ["fixedLine", "mobile", "tollFree", "premiumRate", "sharedCost", "personalNumber",
         "voip", "pager", "uan", "voicemail"]


def clean(s):
    return re.sub(r"\s+", "", s or "")


def main(path):
    root = ET.parse(path).getroot()
    out = []
    for t in root.iter("territory"):
        pats = []
        for ty in TYPES:
            d = t.find(ty)
            if d is None:
                continue
            p = d.find("nationalNumberPattern")
            if p is not None and clean(p.text):
                pats.append("(?:" + clean(p.text) + ")")
        if not pats:
            continue
        out.append("\t".join([
            t.get("id"),
            t.get("countryCode"),
            t.get("nationalPrefix", ""),
            clean(t.get("nationalPrefixForParsing", "")),
            "|".join(pats),
        ]))
    sys.stdout.write("# id\tcountry code\tnational prefix\tnational prefix for parsing\tnational number patterns\n")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
