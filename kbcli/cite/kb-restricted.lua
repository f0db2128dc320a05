--[[
kb-restricted.lua: a pandoc Lua filter shipped with kbcli (MIT).

kb writes a source's request not to be cited into the `note` of its CSL-JSON item
(and BibTeX entry): a line beginning "NOT FOR CITATION". CSL styles do not print
`note` (neither the official GB/T 7714-2015 styles nor APA), so without this filter
the request is lost in the rendered document. With it, every bibliography entry of
such an item ends with the request, a footnote citing it (note styles) too, and
pandoc warns on stderr for each one cited.

    pandoc paper.md --citeproc --bibliography refs.json --csl STYLE.csl \
      --lua-filter "$(kb cite --lua-filter)" -o paper.docx

Give it after --citeproc, or alone: it runs citeproc itself when pandoc has not.
Needs pandoc 2.19.1 or later (pandoc.utils.citeproc and pandoc.utils.references).
]]

local MARK = "NOT FOR CITATION"

-- The request in an item's note: the line that starts with MARK (kb puts it first).
local function request(note)
  if note == nil then
    return nil
  end
  local text = type(note) == "string" and note or pandoc.utils.stringify(note)
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    local at = line:find(MARK, 1, true)
    if at then
      return line:sub(at)
    end
  end
  return nil
end

-- Append the request, set apart, to the last block of a list of blocks.
local function append(blocks, text)
  local mark = pandoc.Strong(pandoc.Str(text))
  local last = blocks[#blocks]
  if last and (last.t == "Para" or last.t == "Plain") then
    last.content:insert(pandoc.Space())
    last.content:insert(mark)
  else
    blocks:insert(pandoc.Para({ mark }))
  end
  return blocks
end

local function has_refs(doc)
  local found = false
  doc:walk({
    Div = function(div)
      if div.identifier == "refs" or div.classes:includes("references") then
        found = true
      end
    end,
  })
  return found
end

function Pandoc(doc)
  if not has_refs(doc) and (doc.meta.bibliography or doc.meta.references) then
    doc = pandoc.utils.citeproc(doc)
  end
  local restricted = {}
  for _, ref in ipairs(pandoc.utils.references(doc)) do
    local text = request(ref.note)
    if text then
      restricted[ref.id] = text
    end
  end
  if next(restricted) == nil then
    return doc
  end
  local shown, warned = {}, {}
  doc = doc:walk({
    Div = function(div)
      local id = div.identifier:match("^ref%-(.+)$")
      if id and restricted[id] then
        shown[id] = true
        div.content = append(div.content, restricted[id])
        return div
      end
    end,
    Cite = function(cite)
      local ids = {}
      for _, c in ipairs(cite.citations) do
        if restricted[c.id] then
          table.insert(ids, c.id)
        end
      end
      if #ids == 0 then
        return nil
      end
      for _, id in ipairs(ids) do
        if not warned[id] then
          warned[id] = true
          io.stderr:write("[WARNING] kb: @" .. id .. " is cited: " .. restricted[id] .. "\n")
        end
      end
      -- a note style puts the citation in a footnote: the request goes there too
      return cite:walk({
        Note = function(note)
          for _, id in ipairs(ids) do
            note.content = append(note.content, restricted[id])
          end
          return note
        end,
      })
    end,
  })
  -- no bibliography (suppress-bibliography, or no refs): the request follows the citations instead
  for id, text in pairs(restricted) do
    if not shown[id] then
      doc = doc:walk({
        Cite = function(cite)
          for _, c in ipairs(cite.citations) do
            if c.id == id then
              return { cite, pandoc.Space(), pandoc.Strong(pandoc.Str("[" .. text .. "]")) }
            end
          end
        end,
      })
    end
  end
  return doc
end
