#!/usr/bin/env python3
"""Validates an in-toto Statement v1 with a SLSA Provenance v1 predicate using the in-toto-attestation
Python bindings (PyPI in-toto-attestation): the statement through its own validate(), the predicate
parsed strictly into the Provenance protobuf (an unknown or misspelled field fails).
Usage: validate-provenance.py FILE [EXPECTED_SUBJECT_DIGEST_HEX]. Prints one summary line."""
import json, sys
from google.protobuf import json_format
from in_toto_attestation.v1 import statement_pb2
from in_toto_attestation.v1.statement import Statement
from in_toto_attestation.predicates.provenance.v1 import provenance_pb2

document = json.load(open(sys.argv[1]))
proto = json_format.ParseDict(document, statement_pb2.Statement())
Statement.copy_from_pb(proto).validate()
assert document["predicateType"] == "https://slsa.dev/provenance/v1", document["predicateType"]
provenance = json_format.ParseDict(document["predicate"], provenance_pb2.Provenance())
definition = provenance.build_definition
assert definition.build_type, "no buildType"
assert provenance.run_details.builder.id, "no builder id"
for dependency in definition.resolved_dependencies:
    assert dependency.uri or dependency.digest, f"a dependency with neither uri nor digest: {dependency}"
if len(sys.argv) > 2:
    digests = [subject.digest.get("sha256") for subject in proto.subject]
    assert sys.argv[2] in digests, f"no subject with sha256 {sys.argv[2]}: {digests}"
print(f"provenance: {len(proto.subject)} subject(s), build type {definition.build_type}, "
      f"{len(definition.resolved_dependencies)} resolved dependencies, builder {provenance.run_details.builder.id}")
