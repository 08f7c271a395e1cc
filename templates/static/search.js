// The search page: a small form over Pagefind's JS API (pagefind.js from the site's bundle).
// State lives in the URL (?q=…&topic=kv-cache&hardware=h100&sort=date), read on load and
// kept current with history.replaceState, so every search is a link. Topic and hardware
// filters are written as taxonomy ids; an id or a title (any case) is accepted. Nothing here builds
// HTML from strings: titles and chips are text nodes; excerpts keep only Pagefind's <mark>.

const PAGE_SIZE = 20;
const DEBOUNCE_MS = 180;

const root = document.getElementById("search");
const form = root.querySelector("form");
const input = document.getElementById("search-q");
const sortSelect = document.getElementById("search-sort");
const statusLine = document.getElementById("search-status");
const list = document.getElementById("search-results");
const moreButton = document.getElementById("search-more");
const clearButton = document.getElementById("search-clear");
const facets = new Map([...root.querySelectorAll("fieldset[data-filter]")].map((set) => [set.dataset.filter, set]));
const sorts = new Set([...sortSelect.options].map((option) => option.value));
const activeList = document.getElementById("search-active");
const fold = document.getElementById("search-fold");
const foldCount = document.getElementById("search-fold-count");

// The index files values under their labels ("KV cache"); URLs carry ids ("kv-cache").
const ids = JSON.parse(document.getElementById("search-ids").textContent);
const labelById = new Map(Object.entries(ids).map(([name, map]) => [name, new Map(Object.entries(map))]));
const idByLabel = new Map(Object.entries(ids).map(([name, map]) =>
  [name, new Map(Object.entries(map).map(([id, label]) => [label.toLowerCase(), id]))]));

function labelOf(name, value) {
  const byId = labelById.get(name);
  if (!byId) return value;
  const id = byId.has(value) ? value : idByLabel.get(name).get(value.toLowerCase());
  return id === undefined ? value : byId.get(id);
}

function idOf(name, label) {
  return idByLabel.get(name)?.get(label.toLowerCase()) ?? label;
}

const state = readState(location.search);
let pagefind = null;
let results = [];
let shown = 0;
let generation = 0; // the latest search; answers to older ones are dropped

function readState(query) {
  const params = new URLSearchParams(query);
  const filters = new Map([...facets.keys()].map((name) =>
    [name, new Set(params.getAll(name).filter(Boolean).map((value) => labelOf(name, value)))]));
  const sort = params.get("sort") || "";
  return { q: params.get("q") || "", sort: sorts.has(sort) ? sort : "", filters };
}

function writeState() {
  const params = new URLSearchParams();
  if (state.q.trim()) params.set("q", state.q.trim());
  for (const [name, values] of state.filters) {
    for (const id of [...values].map((value) => idOf(name, value)).sort()) params.append(name, id);
  }
  if (state.sort) params.set("sort", state.sort);
  const query = params.toString();
  history.replaceState(null, "", location.pathname + (query ? "?" + query : ""));
}

function hasFilters() {
  return [...state.filters.values()].some((values) => values.size > 0);
}

// Values within a group are alternatives (any); groups narrow each other (all).
function pagefindFilters(except) {
  const filters = {};
  for (const [name, values] of state.filters) if (name !== except && values.size) filters[name] = { any: [...values] };
  return filters;
}

function sortFor(term) {
  if (state.sort) return { [state.sort]: "desc" };
  return term === null ? { date: "desc" } : {}; // no words: nothing to rank by relevance
}

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  node.append(...children);
  return node;
}

// --- filter groups -------------------------------------------------------------------------

function orderedValues(name, values) {
  const sorted = [...values].sort((a, b) => a.localeCompare(b, undefined, { numeric: true, sensitivity: "base" }));
  return name === "year" ? sorted.reverse() : sorted;
}

function buildFacets(available) {
  for (const [name, fieldset] of facets) {
    const values = new Set([...Object.keys(available[name] || {}), ...state.filters.get(name)]);
    const items = orderedValues(name, values).map((value) => {
      const box = element("input", { type: "checkbox", name, value });
      box.checked = state.filters.get(name).has(value);
      box.addEventListener("change", () => {
        const chosen = state.filters.get(name);
        if (box.checked) chosen.add(value);
        else chosen.delete(value);
        search();
      });
      return element("li", {}, element("label", {}, box, " ", element("span", { class: "facet-label" }, value),
        " ", element("span", { class: "count" })));
    });
    fieldset.querySelector("ul").replaceChildren(...items);
    fieldset.hidden = items.length === 0;
  }
}

function updateFacets(counts) {
  for (const [name, fieldset] of facets) {
    for (const box of fieldset.querySelectorAll("input")) {
      const count = (counts[name] || {})[box.value] || 0;
      box.checked = state.filters.get(name).has(box.value);
      const item = box.closest("li");
      item.querySelector(".count").textContent = String(count);
      item.classList.toggle("is-empty", count === 0 && !box.checked);
    }
  }
}

// Each active filter is a chip whose button removes it.
function showActiveFilters() {
  const chips = [];
  for (const [name, values] of state.filters) {
    const heading = facets.get(name).querySelector("legend").textContent;
    for (const value of orderedValues(name, values)) {
      const button = element("button", { type: "button", class: "chip chip-filter" },
        element("span", { class: "visually-hidden" }, "Remove filter "), `${heading}: ${value}`,
        element("span", { "aria-hidden": "true" }, " ×"));
      button.addEventListener("click", async () => {
        const index = [...activeList.querySelectorAll("button")].indexOf(button);
        state.filters.get(name).delete(value);
        await search();
        // Focus stays in the row of chips (the one now in this place), else returns to the words.
        const remaining = activeList.querySelectorAll("button");
        (remaining[Math.min(index, remaining.length - 1)] || input).focus();
      });
      chips.push(element("li", {}, button));
    }
  }
  activeList.replaceChildren(...chips);
  activeList.hidden = chips.length === 0;
  foldCount.textContent = chips.length ? `(${chips.length} active)` : "";
}

// --- results -------------------------------------------------------------------------------

const decoder = document.createElement("textarea");

function decodeEntities(text) {
  decoder.innerHTML = text; // RCDATA: entities are decoded, tags stay text, nothing runs
  return decoder.value;
}

function excerptNodes(excerpt) {
  let marked = false;
  const nodes = [];
  for (const part of excerpt.split(/(<\/?mark>)/)) {
    if (part === "<mark>" || part === "</mark>") {
      marked = part === "<mark>";
    } else if (part) {
      const text = decodeEntities(part);
      nodes.push(marked ? element("mark", {}, text) : document.createTextNode(text));
    }
  }
  return nodes;
}

function chipList(meta) {
  const chips = [];
  for (const [key, kind] of [["topics", "topic"], ["hardware", "hardware"]]) {
    let labels = [];
    try {
      labels = JSON.parse(meta[key] || "[]");
    } catch (problem) {
      labels = [];
    }
    for (const label of labels) chips.push(element("li", {}, element("span", { class: `chip chip-${kind}` }, label)));
  }
  return chips.length ? element("ul", { class: "chips", "aria-label": "Topics and hardware" }, ...chips) : null;
}

function resultItem(data, withExcerpt) {
  const meta = data.meta || {};
  const facts = element("p", { class: "card-meta" });
  if (meta.date_iso) facts.append(element("time", { datetime: meta.date_iso }, meta.date || meta.date_iso));
  else if (meta.date) facts.append(element("span", {}, meta.date));
  if (meta.upvotes) {
    facts.append(element("span", {}, `▲ ${meta.upvotes}`, element("span", { class: "visually-hidden" }, " upvotes")));
  }
  if ((data.filters?.code || []).includes("has code")) facts.append(element("span", { class: "badge" }, "code"));
  const title = element("h2", { class: "card-title" }, element("a", { href: data.url }, meta.title || data.url));
  const item = element("li", { class: "card" }, title, facts);
  if (withExcerpt && data.excerpt) {
    item.append(element("p", { class: "search-excerpt" }, ...excerptNodes(data.excerpt)));
  }
  const chips = chipList(meta);
  if (chips) item.append(chips);
  return item;
}

async function showMore(mine, moveFocus) {
  const batch = results.slice(shown, shown + PAGE_SIZE);
  const datas = await Promise.all(batch.map((result) => result.data()));
  if (mine !== generation) return;
  const withExcerpt = state.q.trim() !== "";
  const items = datas.map((data) => resultItem(data, withExcerpt));
  list.append(...items);
  shown += items.length;
  moreButton.hidden = shown >= results.length;
  if (moveFocus && items.length) items[0].querySelector("a").focus();
}

function describe(count) {
  const words = state.q.trim() ? ` matching “${state.q.trim()}”` : "";
  const narrowed = hasFilters() ? " with the chosen filters" : "";
  if (count === 0) return `No papers${words}${narrowed}. Try other words or fewer filters.`;
  return `${count} paper${count === 1 ? "" : "s"}${words}${narrowed}.`;
}

// --- searching -----------------------------------------------------------------------------

function search() {
  return runSearch().catch(showProblem);
}

function showProblem(problem) {
  statusLine.textContent = `Search failed: ${problem.message || problem}.`;
  statusLine.classList.add("notice");
}

async function runSearch() {
  const mine = ++generation;
  writeState();
  const term = state.q.trim() || null;
  const response = await pagefind.search(term, { filters: pagefindFilters(), sort: sortFor(term) });
  // A group's counts ignore its own choices, so they say what ticking one more value adds.
  const counts = { ...response.filters };
  await Promise.all([...state.filters].filter(([, values]) => values.size).map(async ([name]) => {
    const without = await pagefind.search(term, { filters: pagefindFilters(name) });
    counts[name] = without.filters[name] || {};
  }));
  if (mine !== generation) return;
  results = response.results;
  shown = 0;
  list.replaceChildren();
  updateFacets(counts);
  showActiveFilters();
  await showMore(mine, false);
  if (mine !== generation) return;
  statusLine.textContent = describe(results.length);
  statusLine.classList.remove("notice");
}

let timer = 0;
input.addEventListener("input", () => {
  state.q = input.value;
  clearTimeout(timer);
  timer = setTimeout(search, DEBOUNCE_MS);
});
form.addEventListener("submit", (event) => {
  event.preventDefault();
  clearTimeout(timer);
  state.q = input.value;
  search();
});
sortSelect.addEventListener("change", () => {
  state.sort = sortSelect.value;
  search();
});
moreButton.addEventListener("click", () => showMore(generation, true).catch(showProblem));
clearButton.addEventListener("click", () => {
  state.q = "";
  input.value = "";
  for (const values of state.filters.values()) values.clear();
  search();
  input.focus();
});

async function start() {
  root.hidden = false;
  if (matchMedia("(max-width: 50rem)").matches) fold.open = false; // phones: results stay in view
  input.value = state.q;
  sortSelect.value = state.sort;
  try {
    pagefind = await import(root.dataset.bundle + "pagefind.js");
    await pagefind.options({ baseUrl: "/" }); // result URLs already carry the base path
    buildFacets(await pagefind.filters());
  } catch (problem) {
    statusLine.textContent = `Search could not start: ${problem.message || problem}.`;
    statusLine.classList.add("notice");
    return;
  }
  await search();
}

start();
