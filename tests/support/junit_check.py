#!/usr/bin/env python3
"""Validates a JUnit XML file the way CI readers consume it and prints one
line per testcase for a test to compare: SUITE|NAME|OUTCOME|MESSAGE|TEXT
(OUTCOME passed, failure, error or skipped; newlines in TEXT shown as \\n).

Parsing is done by Python's expat-based ElementTree, a real XML 1.0 parser:
malformed XML, characters XML 1.0 forbids and bad escaping fail here. Then
the shape GitHub Actions reporters, GitLab and Jenkins read is checked:
<testsuites> with <testsuite> children, counts that agree with the cases,
numeric times, at most one result element per testcase, properties with
name and value. Exits 1 with a message on the first problem."""
import sys
import xml.etree.ElementTree as ET


def fail(msg):
    print("junit_check: " + msg, file=sys.stderr)
    sys.exit(1)


def count_attr(el, name):
    value = el.get(name)
    if value is None or not value.isdigit():
        fail("<%s> %s=%r is not a count" % (el.tag, name, value))
    return int(value)


def check_time(el):
    try:
        if float(el.get("time", "x")) < 0:
            fail("<%s> negative time" % el.tag)
    except ValueError:
        fail("<%s> time=%r is not a number" % (el.tag, el.get("time")))


def main(path):
    root = ET.parse(path).getroot()
    if root.tag != "testsuites":
        fail("root is <%s>, not <testsuites>" % root.tag)
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    lines = []
    for suite in root:
        if suite.tag != "testsuite":
            fail("<testsuites> holds <%s>" % suite.tag)
        check_time(suite)
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        for child in suite:
            if child.tag == "properties":
                for prop in child:
                    if prop.tag != "property" or prop.get("name") is None or prop.get("value") is None:
                        fail("bad suite property")
                continue
            if child.tag != "testcase":
                fail("<testsuite> holds <%s>" % child.tag)
            check_time(child)
            if child.get("name") is None or child.get("classname") is None:
                fail("testcase without name or classname")
            results = [e for e in child if e.tag in ("failure", "error", "skipped")]
            if len(results) > 1:
                fail("testcase %r has %d results" % (child.get("name"), len(results)))
            outcome, message, text = "passed", "", ""
            if results:
                r = results[0]
                outcome = r.tag
                message = r.get("message", "")
                text = (r.text or "").replace("\n", "\\n")
            counts["tests"] += 1
            counts[{"passed": "tests", "failure": "failures", "error": "errors",
                    "skipped": "skipped"}[outcome]] += outcome != "passed"
            lines.append("%s|%s|%s|%s|%s" % (suite.get("name"), child.get("name"), outcome,
                                             message, text))
        for key in counts:
            if count_attr(suite, key) != counts[key]:
                fail("suite %r says %s=%s, has %d" % (suite.get("name"), key, suite.get(key),
                                                      counts[key]))
            totals[key] += counts[key]
    for key in totals:
        if count_attr(root, key) != totals[key]:
            fail("<testsuites> says %s=%s, has %d" % (key, root.get(key), totals[key]))
    check_time(root)
    for line in lines:
        print(line)


if __name__ == "__main__":
    main(sys.argv[1])
