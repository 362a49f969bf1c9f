#!/usr/bin/env python3
"""Builds tests/data/pii/privkit_sentences.json from the hand-written sentences below.

Entities are marked inline as [[TYPE|value]]; the script removes the markers and writes
records in the format of Presidio's synth_dataset_v2.json (full_text, spans with
start_position/end_position in Unicode scalar values). Run it after editing the list:
    python3 scripts/label_sentences.py
"""
import json
import os
import re

SENTENCES = [
    "Please call me back on [[PHONE_NUMBER|+44 20 7946 0958]] after lunch.",
    "Customer [[PERSON|Maria Garcia]] reported that her card [[CREDIT_CARD|5555 5555 5555 4444]] was charged twice.",
    "2023-11-02T08:15:30Z INFO login ok user=[[EMAIL_ADDRESS|j.doe@example.org]] ip=[[IP_ADDRESS|203.0.113.7]]",
    "Refund to IBAN [[IBAN_CODE|DE89 3704 0044 0532 0130 00]] approved by finance.",
    "His social security number is [[US_SSN|536-90-4399]], please update the file.",
    "WARN upstream timeout from [[IP_ADDRESS|2001:db8:85a3::8a2e:370:7334]] after 30s",
    "Ship it to [[STREET_ADDRESS|1600 Pennsylvania Avenue]] before [[DATE_TIME|March 3, 2024]].",
    "We met [[PERSON|Thomas Becker]] in [[LOCATION|Berlin]] on [[DATE_TIME|12/05/2022]].",
    "The old account [[IBAN_CODE|GB82WEST12345698765432]] is closed.",
    "Can you send the invoice to [[EMAIL_ADDRESS|accounts.payable@contoso.co.uk]]?",
    "Amex [[CREDIT_CARD|378282246310005]] expired last month.",
    "Reach our [[LOCATION|Paris]] desk at [[PHONE_NUMBER|+33 1 42 68 53 00]] during office hours.",
    "Leaked key in config: aws_access_key_id=[[AWS_ACCESS_KEY|AKIAIOSFODNN7EXAMPLE]]",
    "curl -H 'Authorization: Bearer [[BEARER_TOKEN|mF_9.B5f-4.1JqM7gR2xYz0QpL]]' https://api.internal/v1",
    "The meeting with [[PERSON|Susan Miller]] moved to [[DATE_TIME|Friday]].",
    "My new address is [[STREET_ADDRESS|Hauptstraße 5]] in [[LOCATION|Munich]].",
    "Visa [[CREDIT_CARD|4111-1111-1111-1111]] declined at [[DATE_TIME|10:42]].",
    "Dear [[PERSON|Mr. Okafor]], your order has shipped.",
    "Documentation lives at [[URL|https://docs.example.com/guide/setup?lang=en]] now.",
    "request from [[IP_ADDRESS|198.51.100.23]] failed: connection reset",
    "Her date of birth is [[DATE_TIME|1985-07-14]] according to the form.",
    "Phone: [[PHONE_NUMBER|(415) 555-0132]]",
    "The patient, [[PERSON|Robert Johnson]], arrived at [[DATE_TIME|08:30]].",
    "Send the parcel to [[STREET_ADDRESS|Via Garibaldi 12]], [[LOCATION|Torino]].",
    "Dutch IBAN: [[IBAN_CODE|NL91ABNA0417164300]]",
    "Ticket 48213: user cannot log in since the upgrade to version 2.4.1.",
    "Order 7731 contains 12 items and weighs 3.5 kg.",
    "Contact [[PERSON|Linda Chen]] at [[EMAIL_ADDRESS|linda.chen@fabrikam.com]] for access.",
    "GitHub token [[API_KEY|ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789]] was revoked.",
    "Backup finished on [[DATE_TIME|Sunday]] at [[DATE_TIME|02:00]] with 0 errors.",
    "I live at [[STREET_ADDRESS|742 Evergreen Terrace]] with my family.",
    "Mobile [[PHONE_NUMBER|+49 151 23456789]] is the best way to reach me.",
    "Card ending 4444 was replaced.",
    "The conference is in [[LOCATION|Canada]] this year.",
    "Please wire the deposit to [[IBAN_CODE|FR14 2004 1010 0505 0001 3M02 606]].",
    "Server booted at [[DATE_TIME|2024-01-15 06:00:01]] and loaded 42 modules.",
    "[[PERSON|James Wilson]] signed the contract on [[DATE_TIME|June 1, 2023]].",
    "Fax it to [[PHONE_NUMBER|212-555-0187]] please.",
    "Your SSN [[US_SSN|219-45-6781]] was verified.",
    "The firewall blocked 10.20.30 packets per second, a new record.",
    "Forward the complaint to [[EMAIL_ADDRESS|support@wingtiptoys.com]] and close ticket 9912.",
    "Visit [[URL|www.example.net/pricing]] for the current plans.",
    "Delivery address: [[STREET_ADDRESS|10 Downing Street]], [[LOCATION|London]].",
    "We wrote to [[PERSON|Ana Souza]] twice about the overdue balance.",
    "The driver's license number is [[US_DRIVER_LICENSE|D4281937]].",
    "Price went from 1999 to 2499 dollars overnight.",
    "My ZIP code is [[ZIP_CODE|94103]].",
    "Host db-3 at [[IP_ADDRESS|172.16.254.1]] is unreachable.",
    "Invoice dated [[DATE_TIME|15 January 2024]] is still unpaid.",
    "[[PRIVATE_KEY|-----BEGIN RSA PRIVATE KEY-----]] appeared in the build log of job 4411.",
]


def parse(marked):
    text, spans = "", []
    pos = 0
    for m in re.finditer(r"\[\[([A-Z_]+)\|(.+?)\]\]", marked):
        text += marked[pos : m.start()]
        start = len(text)
        text += m.group(2)
        spans.append(
            {
                "entity_type": m.group(1),
                "entity_value": m.group(2),
                "start_position": start,
                "end_position": len(text),
            }
        )
        pos = m.end()
    text += marked[pos:]
    return {"full_text": text, "spans": spans, "template_id": 0}


if __name__ == "__main__":
    out = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "pii", "privkit_sentences.json")
    with open(out, "w", encoding="utf-8") as f:
        json.dump([parse(s) for s in SENTENCES], f, ensure_ascii=False, indent=1)
        f.write("\n")
