"""Certificates an operator trusts besides the system's (`[fetch] ca_file`, `[digest] ca_file`):
read beside the system's CAs, never instead of them; a file that holds none is refused when
the settings are read."""

from __future__ import annotations

from pathlib import Path

import pytest
import trustme
from throwaway_ca import run_with_throwaway_ca

from aggregator.config import load_settings
from aggregator.tls_trust import check_ca_file

SCRIPT = r"""
import json, sys
import trustme
from aggregator.tls_trust import trusting

system, own = trustme.CA(), trustme.CA()
system.cert_pem.write_to_path(sys.argv[1])  # (the system's store, as SSL_CERT_FILE names it)
own_file = sys.argv[1] + ".own.pem"
own.cert_pem.write_to_path(own_file)
names = lambda context: sorted(str(c["subject"]) for c in context.get_ca_certs())
print(json.dumps({"with": names(trusting(own_file)), "without": names(trusting(""))}))
"""


def test_a_ca_file_is_trusted_beside_the_systems_cas(tmp_path: Path) -> None:
    # (the digest's mail connections trusted the file alone: a bounce mailbox with a public
    # certificate failed once a private SMTP server's CA was named)
    seen = run_with_throwaway_ca(SCRIPT, tmp_path)
    assert len(seen["without"]) == 1  # the system's store: one CA here
    assert len(seen["with"]) == 2 and seen["without"][0] in seen["with"]


def test_a_ca_file_that_holds_no_certificate_is_refused(tmp_path: Path) -> None:
    missing, empty, opml = tmp_path / "none.pem", tmp_path / "empty.pem", tmp_path / "f.opml"
    empty.write_text("")
    opml.write_text("<opml version='2.0'><body/></opml>")
    with pytest.raises(ValueError, match=r"cannot read .*none\.pem: No such file"):
        check_ca_file(str(missing), "ca_file")
    for path in (empty, opml):
        with pytest.raises(ValueError, match="holds no PEM certificate"):
            check_ca_file(str(path), "ca_file")
    good = tmp_path / "ca.pem"
    trustme.CA().cert_pem.write_to_path(str(good))
    check_ca_file(str(good), "ca_file")  # (no error)


@pytest.mark.parametrize("section", ["fetch", "digest"])
def test_the_settings_name_a_bad_ca_file(tmp_path: Path, section: str) -> None:
    config = tmp_path / "aggregator.toml"
    config.write_text(f'[{section}]\nca_file = "{tmp_path / "none.pem"}"\n')
    with pytest.raises(Exception, match=rf"\[{section}\].*ca_file: cannot read"):
        load_settings(config, {})
