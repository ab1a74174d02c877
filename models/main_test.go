package models_test

import (
	"os"
	"testing"

	"github.com/multicert/multicert/models/modelstest"
)

func TestMain(m *testing.M) { os.Exit(modelstest.Main(m)) }
