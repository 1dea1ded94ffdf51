// Package quickstart is the Quick Start API of the examples: items and
// spaces kept in memory, with every GET cached by gin-intelligent-cache
// and every write invalidating what it made stale. example/basic serves
// it on the in-memory backend, example/redis on Redis.
//
// Every JSON body carries generated_at, the time the handler ran (so a
// cached response shows its age), and every item and space a version that
// each write to it increases (so a stale read can be told from a fresh
// one).
package quickstart

// The table is generated from the //cache: directives below. example/basic is
// loaded too because that is where Register is called with a router:
// without it the route paths could not be resolved.
//go:generate go tool cachegen . ../../example/basic

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
)

// API holds the handlers.
type API struct {
	Store *Store
}

// Register mounts the routes on r. Mount the cache middleware on r first.
func (a *API) Register(r gin.IRouter) {
	r.GET("/items", a.ListItems)
	r.POST("/items", a.CreateItem)
	r.GET("/spaces", a.ListSpaces)
	r.POST("/spaces", a.CreateSpace)
	r.GET("/spaces/:space_id", a.GetSpace)
	r.PUT("/spaces/:space_id", a.UpdateSpace)
	r.PATCH("/spaces/:space_id", a.UpdateSpace)
	r.DELETE("/spaces/:space_id", a.DeleteSpace)
	r.GET("/spaces/:space_id/items", a.ListSpaceItems)
	r.POST("/spaces/:space_id/items", a.CreateSpaceItem)
	r.GET("/spaces/:space_id/items/:item_id", a.GetSpaceItem)
	r.PATCH("/spaces/:space_id/items/:item_id", a.UpdateSpaceItem)
	r.DELETE("/spaces/:space_id/items/:item_id", a.DeleteSpaceItem)
}

func now() string { return time.Now().UTC().Format(time.RFC3339Nano) }

func notFound(c *gin.Context, what string) {
	c.JSON(http.StatusNotFound, gin.H{"error": what + " not found", "generated_at": now()})
}

type nameBody struct {
	Name string `json:"name"`
}

// bindName reads {"name": "..."}; required says whether it may be empty.
func bindName(c *gin.Context, required bool) (string, bool) {
	var b nameBody
	if err := c.ShouldBindJSON(&b); err != nil {
		c.JSON(http.StatusBadRequest, gin.H{"error": "body must be JSON like {\"name\": \"...\"}: " + err.Error()})
		return "", false
	}
	if required && b.Name == "" {
		c.JSON(http.StatusBadRequest, gin.H{"error": "name is required"})
		return "", false
	}
	return b.Name, true
}

func intQuery(c *gin.Context, name string, def, max int) (int, bool) {
	s := c.Query(name)
	if s == "" {
		return def, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > max {
		c.JSON(http.StatusBadRequest, gin.H{"error": name + " must be a whole number from 1 to " + strconv.Itoa(max)})
		return 0, false
	}
	return n, true
}

// ListItems lists top-level items, a page at a time.
//
//cache:ttl=3600 query=page,limit
func (a *API) ListItems(c *gin.Context) {
	page, ok := intQuery(c, "page", 1, 1_000_000)
	if !ok {
		return
	}
	limit, ok := intQuery(c, "limit", 10, 100)
	if !ok {
		return
	}
	items, total := a.Store.Items(page, limit)
	c.JSON(http.StatusOK, gin.H{"items": items, "page": page, "limit": limit, "total": total, "generated_at": now()})
}

// CreateItem adds a top-level item; it invalidates GET /items.
func (a *API) CreateItem(c *gin.Context) {
	name, ok := bindName(c, true)
	if !ok {
		return
	}
	c.JSON(http.StatusCreated, gin.H{"item": a.Store.CreateItem(name), "generated_at": now()})
}

// ListSpaces lists the spaces.
//
//cache:ttl=3600
func (a *API) ListSpaces(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"spaces": a.Store.Spaces(), "generated_at": now()})
}

// CreateSpace adds a space; it invalidates GET /spaces.
func (a *API) CreateSpace(c *gin.Context) {
	name, ok := bindName(c, true)
	if !ok {
		return
	}
	c.JSON(http.StatusCreated, gin.H{"space": a.Store.CreateSpace(name), "generated_at": now()})
}

// GetSpace returns one space.
//
//cache:ttl=86400
func (a *API) GetSpace(c *gin.Context) {
	sp, ok := a.Store.Space(c.Param("space_id"))
	if !ok {
		notFound(c, "space")
		return
	}
	c.JSON(http.StatusOK, gin.H{"space": sp, "generated_at": now()})
}

// UpdateSpace renames a space (PUT or PATCH); it invalidates the space,
// everything under it, and GET /spaces.
func (a *API) UpdateSpace(c *gin.Context) {
	name, ok := bindName(c, false)
	if !ok {
		return
	}
	sp, ok := a.Store.UpdateSpace(c.Param("space_id"), name)
	if !ok {
		notFound(c, "space")
		return
	}
	c.JSON(http.StatusOK, gin.H{"space": sp, "generated_at": now()})
}

// DeleteSpace removes a space and its items.
func (a *API) DeleteSpace(c *gin.Context) {
	if !a.Store.DeleteSpace(c.Param("space_id")) {
		notFound(c, "space")
		return
	}
	c.Status(http.StatusNoContent)
}

// ListSpaceItems lists the items of a space.
//
//cache:ttl=600
func (a *API) ListSpaceItems(c *gin.Context) {
	items, ok := a.Store.SpaceItems(c.Param("space_id"))
	if !ok {
		notFound(c, "space")
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": items, "generated_at": now()})
}

// CreateSpaceItem adds an item to a space; it invalidates the space's
// item list, the space and GET /spaces, but not the other items.
func (a *API) CreateSpaceItem(c *gin.Context) {
	name, ok := bindName(c, true)
	if !ok {
		return
	}
	it, ok := a.Store.CreateSpaceItem(c.Param("space_id"), name)
	if !ok {
		notFound(c, "space")
		return
	}
	c.JSON(http.StatusCreated, gin.H{"item": it, "generated_at": now()})
}

// GetSpaceItem returns one item of a space.
//
//cache:ttl=600
func (a *API) GetSpaceItem(c *gin.Context) {
	it, ok := a.Store.SpaceItem(c.Param("space_id"), c.Param("item_id"))
	if !ok {
		notFound(c, "item")
		return
	}
	c.JSON(http.StatusOK, gin.H{"item": it, "generated_at": now()})
}

// UpdateSpaceItem renames an item; it invalidates the item and the lists
// above it.
func (a *API) UpdateSpaceItem(c *gin.Context) {
	name, ok := bindName(c, false)
	if !ok {
		return
	}
	it, ok := a.Store.UpdateSpaceItem(c.Param("space_id"), c.Param("item_id"), name)
	if !ok {
		notFound(c, "item")
		return
	}
	c.JSON(http.StatusOK, gin.H{"item": it, "generated_at": now()})
}

// DeleteSpaceItem removes an item from a space.
func (a *API) DeleteSpaceItem(c *gin.Context) {
	if !a.Store.DeleteSpaceItem(c.Param("space_id"), c.Param("item_id")) {
		notFound(c, "item")
		return
	}
	c.Status(http.StatusNoContent)
}
