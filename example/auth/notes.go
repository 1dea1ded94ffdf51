package main

import (
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
)

// note is one user's note.
type note struct {
	ID    int    `json:"id"`
	Owner string `json:"owner"`
	Text  string `json:"text"`
}

// noteStore keeps every user's notes in memory.
type noteStore struct {
	mu     sync.Mutex
	nextID int
	notes  []note
}

func newNoteStore() *noteStore {
	return &noteStore{nextID: 3, notes: []note{
		{ID: 1, Owner: "alice", Text: "alice's first note"},
		{ID: 2, Owner: "bob", Text: "bob's first note"},
	}}
}

// app holds the handlers.
type app struct {
	notes *noteStore
}

func generatedAt() string { return time.Now().UTC().Format(time.RFC3339Nano) }

// listNotes lists the caller's notes: cached per user.
//
//cache:ttl=300 identity=user_id
func (a *app) listNotes(c *gin.Context) {
	user := c.GetString("user_id")
	a.notes.mu.Lock()
	mine := []note{}
	for _, n := range a.notes.notes {
		if n.Owner == user {
			mine = append(mine, n)
		}
	}
	a.notes.mu.Unlock()
	c.JSON(http.StatusOK, gin.H{"notes": mine, "generated_at": generatedAt()})
}

// getNote returns one of the caller's notes; another user's is a 404.
//
//cache:ttl=300 identity=user_id
func (a *app) getNote(c *gin.Context) {
	id, err := strconv.Atoi(c.Param("id"))
	if err != nil {
		c.JSON(http.StatusBadRequest, gin.H{"error": "id must be a number"})
		return
	}
	user := c.GetString("user_id")
	a.notes.mu.Lock()
	defer a.notes.mu.Unlock()
	for _, n := range a.notes.notes {
		if n.ID == id && n.Owner == user {
			c.JSON(http.StatusOK, gin.H{"note": n, "generated_at": generatedAt()})
			return
		}
	}
	c.JSON(http.StatusNotFound, gin.H{"error": "no such note"})
}

// createNote adds a note for the caller. As a POST to /notes it
// invalidates GET /notes (for every user: over-invalidation is safe).
func (a *app) createNote(c *gin.Context) {
	var body struct {
		Text string `json:"text"`
	}
	if err := c.ShouldBindJSON(&body); err != nil || body.Text == "" {
		c.JSON(http.StatusBadRequest, gin.H{"error": `body must be JSON like {"text": "..."}`})
		return
	}
	a.notes.mu.Lock()
	n := note{ID: a.notes.nextID, Owner: c.GetString("user_id"), Text: body.Text}
	a.notes.nextID++
	a.notes.notes = append(a.notes.notes, n)
	a.notes.mu.Unlock()
	c.JSON(http.StatusCreated, gin.H{"note": n})
}

// deleteNote removes one of the caller's notes; a DELETE of /notes/:id
// invalidates that note and the list above it.
func (a *app) deleteNote(c *gin.Context) {
	id, _ := strconv.Atoi(c.Param("id"))
	user := c.GetString("user_id")
	a.notes.mu.Lock()
	defer a.notes.mu.Unlock()
	i := slices.IndexFunc(a.notes.notes, func(n note) bool { return n.ID == id && n.Owner == user })
	if i < 0 {
		c.JSON(http.StatusNotFound, gin.H{"error": "no such note"})
		return
	}
	a.notes.notes = slices.Delete(a.notes.notes, i, i+1)
	c.Status(http.StatusNoContent)
}

// announcements is the same for every signed-in user. The requests carry
// Authorization, so the route must say public to be cached: one entry
// then serves everyone (after auth has run).
//
//cache:ttl=60 public
func (a *app) announcements(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"announcements": []string{"maintenance on Sunday"}, "generated_at": generatedAt()})
}
