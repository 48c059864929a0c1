# bash completion for nx (installed as share/bash-completion/completions/nx). The words come
# from nx itself (`nx __complete [CMD [SUB]]`, from its command tables), so a new command or
# option needs nothing here.
_nx() {
	local cur=${COMP_WORDS[COMP_CWORD]} words
	words=$("${COMP_WORDS[0]}" __complete "${COMP_WORDS[@]:1:COMP_CWORD-1}" 2>/dev/null)
	mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
}
complete -F _nx nx
