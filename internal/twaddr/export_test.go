package twaddr

// Exported for the tests of package twaddr_test only.

// ParseForTest parses data as the package parses its embedded data.json and
// reports the number of counties, for BenchmarkLoad and the parse tests.
func ParseForTest(b []byte) (int, error) {
	idx, err := parse(b)
	if err != nil {
		return 0, err
	}
	return len(idx.counties), nil
}

// DataJSON is the embedded data.json.
var DataJSON = dataJSON
