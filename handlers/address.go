package handlers

import (
	"sync"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/twaddr"
	"github.com/multicert/multicert/models"
)

// AddressField is the model of an address entered with cascading selects
// 縣市 → 鄉鎮市區 → 村里, then 鄰 and 街路門號.
type AddressField struct {
	Prefix    string // form field prefix: reg, mail
	Legend    string
	Value     models.Address
	Counties  []string
	Townships []string
	Villages  []string
	Errors    map[string]string
}

// countyNames lists the counties once: twaddr.Counties copies the data set.
var countyNames = sync.OnceValue(func() []string {
	cs := twaddr.Counties()
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Name
	}
	return out
})

func townshipNames(county string) []string {
	c, ok := twaddr.LookupCounty(county)
	if !ok {
		return nil
	}
	out := make([]string, len(c.Townships))
	for i, t := range c.Townships {
		out[i] = t.Name
	}
	return out
}

func villageNames(county, township string) []string {
	if t, ok := twaddr.LookupTownship(county, township); ok {
		return t.Villages
	}
	return nil
}

// addressField fills the selects for a value (a form shown again with its errors).
func addressField(prefix, legend string, v models.Address, errs map[string]string) AddressField {
	return AddressField{Prefix: prefix, Legend: legend, Value: v, Counties: countyNames(),
		Townships: townshipNames(v.County), Villages: villageNames(v.County, v.Township), Errors: errs}
}

// addressFromForm reads an address posted under prefix.
func addressFromForm(c *fiber.Ctx, prefix string) models.Address {
	return models.Address{
		County: c.FormValue(prefix + "_county"), Township: c.FormValue(prefix + "_township"), Village: c.FormValue(prefix + "_village"),
		Neighborhood: c.FormValue(prefix + "_neighborhood"), Street: c.FormValue(prefix + "_street"),
	}
}

// AddressOptions is the model of a cascade step's options.
type AddressOptions struct {
	Prefix  string
	Level   string // township or village
	Options []string
}

// showTownships answers a county select's change with the township options
// (and empties the village select out of band).
func (s *Server) showTownships(c *fiber.Ctx) error {
	prefix := fieldPrefix(c.Query("prefix"))
	return c.Render("address_options", AddressOptions{Prefix: prefix, Level: "township", Options: townshipNames(c.Query(prefix + "_county"))})
}

// showVillages answers a township select's change with the village options.
func (s *Server) showVillages(c *fiber.Ctx) error {
	prefix := fieldPrefix(c.Query("prefix"))
	return c.Render("address_options", AddressOptions{Prefix: prefix, Level: "village",
		Options: villageNames(c.Query(prefix+"_county"), c.Query(prefix+"_township"))})
}

// fieldPrefix allows only the prefixes the forms use.
func fieldPrefix(p string) string {
	switch p {
	case "reg", "mail":
		return p
	}
	return "reg"
}
