-- pandoc filter for scripts/md2man: keep a link's text, drop its target
-- (the targets are the .md files of docs/, meaningless in a man page).
function Link(el)
  return el.content
end
