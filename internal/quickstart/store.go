package quickstart

import (
	"sort"
	"strconv"
	"sync"
)

// Item is a thing in the catalogue: top-level (SpaceID "") or in a space.
type Item struct {
	ID      string `json:"id"`
	SpaceID string `json:"space_id,omitempty"`
	Name    string `json:"name"`
	// Version increases with every write to the item.
	Version int `json:"version"`
}

// Space groups items.
type Space struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Version increases with every write to the space.
	Version int `json:"version"`
}

// Store is the example's database: maps behind a mutex, so that what the
// cache serves can be compared with the truth.
type Store struct {
	mu     sync.Mutex
	next   int
	items  map[string]*Item // top-level items
	spaces map[string]*Space
	inside map[string]map[string]*Item // space id -> item id -> item
}

// NewStore returns a store holding a few seed spaces and items.
func NewStore() *Store {
	s := &Store{items: map[string]*Item{}, spaces: map[string]*Space{}, inside: map[string]map[string]*Item{}}
	for _, name := range []string{"apples", "pears", "plums"} {
		s.CreateItem(name)
	}
	for _, name := range []string{"kitchen", "garden"} {
		sp := s.CreateSpace(name)
		s.CreateSpaceItem(sp.ID, "first "+name+" item")
	}
	return s
}

func (s *Store) id() string {
	s.next++
	return strconv.Itoa(s.next)
}

// Items returns one page of top-level items in id order.
func (s *Store) Items(page, limit int) (items []Item, total int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	all := sortedItems(s.items)
	start := min((page-1)*limit, len(all))
	end := min(start+limit, len(all))
	return all[start:end], len(all)
}

// CreateItem adds a top-level item.
func (s *Store) CreateItem(name string) Item {
	s.mu.Lock()
	defer s.mu.Unlock()
	it := &Item{ID: s.id(), Name: name, Version: 1}
	s.items[it.ID] = it
	return *it
}

// Spaces returns every space in id order.
func (s *Store) Spaces() []Space {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Space, 0, len(s.spaces))
	for _, sp := range s.spaces {
		out = append(out, *sp)
	}
	sort.Slice(out, func(i, j int) bool { return byID(out[i].ID, out[j].ID) })
	return out
}

// CreateSpace adds a space.
func (s *Store) CreateSpace(name string) Space {
	s.mu.Lock()
	defer s.mu.Unlock()
	sp := &Space{ID: s.id(), Name: name, Version: 1}
	s.spaces[sp.ID] = sp
	s.inside[sp.ID] = map[string]*Item{}
	return *sp
}

// Space returns one space.
func (s *Store) Space(id string) (Space, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sp, ok := s.spaces[id]
	if !ok {
		return Space{}, false
	}
	return *sp, true
}

// UpdateSpace renames a space and bumps its version.
func (s *Store) UpdateSpace(id, name string) (Space, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sp, ok := s.spaces[id]
	if !ok {
		return Space{}, false
	}
	if name != "" {
		sp.Name = name
	}
	sp.Version++
	return *sp, true
}

// DeleteSpace removes a space and its items.
func (s *Store) DeleteSpace(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.spaces[id]; !ok {
		return false
	}
	delete(s.spaces, id)
	delete(s.inside, id)
	return true
}

// SpaceItems returns the items of a space.
func (s *Store) SpaceItems(spaceID string) ([]Item, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.inside[spaceID]
	if !ok {
		return nil, false
	}
	return sortedItems(in), true
}

// CreateSpaceItem adds an item to a space.
func (s *Store) CreateSpaceItem(spaceID, name string) (Item, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.inside[spaceID]
	if !ok {
		return Item{}, false
	}
	it := &Item{ID: s.id(), SpaceID: spaceID, Name: name, Version: 1}
	in[it.ID] = it
	return *it, true
}

// SpaceItem returns one item of a space.
func (s *Store) SpaceItem(spaceID, itemID string) (Item, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, ok := s.inside[spaceID][itemID]
	if !ok {
		return Item{}, false
	}
	return *it, true
}

// UpdateSpaceItem renames an item and bumps its version.
func (s *Store) UpdateSpaceItem(spaceID, itemID, name string) (Item, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, ok := s.inside[spaceID][itemID]
	if !ok {
		return Item{}, false
	}
	if name != "" {
		it.Name = name
	}
	it.Version++
	return *it, true
}

// DeleteSpaceItem removes an item from a space.
func (s *Store) DeleteSpaceItem(spaceID, itemID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.inside[spaceID][itemID]; !ok {
		return false
	}
	delete(s.inside[spaceID], itemID)
	return true
}

func sortedItems(m map[string]*Item) []Item {
	out := make([]Item, 0, len(m))
	for _, it := range m {
		out = append(out, *it)
	}
	sort.Slice(out, func(i, j int) bool { return byID(out[i].ID, out[j].ID) })
	return out
}

// byID orders numeric ids numerically.
func byID(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}
