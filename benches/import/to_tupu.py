#!/usr/bin/env python3
"""Writes the DAG of the peer generator (`gen.py`, its `graph.nt`) in Tupu's vocabulary:
each `<urn:kp:i>` becomes a `tupu:KnowledgePoint` with an English `skos:prefLabel` (Tupu
requires a label on every node) and each `<urn:tupu:requires>` edge a `tupu:requires` edge.

usage: to_tupu.py GRAPH_NT OUT_NT [OUT_RDFXML]
The optional RDF/XML copy of the same triples is written with pyoxigraph.
"""
import sys

TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
LABEL = "<http://www.w3.org/2004/02/skos/core#prefLabel>"
KP = "<https://w3id.org/tupu/ns#KnowledgePoint>"
REQUIRES = "<https://w3id.org/tupu/ns#requires>"


def main(src, out, rdfxml=None):
    n = 0
    with open(src) as f, open(out, "w") as o:
        for line in f:
            s, p, rest = line.split(" ", 2)
            if p.endswith("#type>"):
                i = s[len("<urn:kp:"):-1]
                o.write(f"{s} {TYPE} {KP} .\n{s} {LABEL} \"knowledge point {i}\"@en .\n")
                n += 2
            else:
                o.write(f"{s} {REQUIRES} {rest}")
                n += 1
    print(f"{out}: {n} triples", file=sys.stderr)
    if rdfxml:
        import pyoxigraph as ox
        with open(out, "rb") as f, open(rdfxml, "wb") as o:
            ox.serialize(ox.parse(f, format=ox.RdfFormat.N_TRIPLES), o, format=ox.RdfFormat.RDF_XML)
        print(f"{rdfxml}: the same triples as RDF/XML", file=sys.stderr)


if __name__ == "__main__":
    main(*sys.argv[1:])
