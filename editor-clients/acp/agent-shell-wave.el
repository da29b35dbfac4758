;;; agent-shell-wave.el --- Wave in agent-shell (see README.md)  -*- lexical-binding: t; -*-

;;; Code:
(require 'agent-shell)

(defun agent-shell-wave-make-agent-config ()
  "An agent-shell configuration for Wave (`wave acp')."
  (agent-shell-make-agent-config
   :identifier 'wave
   :mode-line-name "Wave"
   :buffer-name "Wave"
   :shell-prompt "Wave> "
   :shell-prompt-regexp "Wave> "
   :client-maker (lambda (buffer)
                   (acp-make-client
                    :command "/path/to/wave-lsp/.venv/bin/wave"
                    :command-params '("acp")
                    :environment-variables nil
                    :context-buffer buffer))))

;; M-x agent-shell offers it beside the others
(add-to-list 'agent-shell-agent-configs (agent-shell-wave-make-agent-config))

(provide 'agent-shell-wave)
;;; agent-shell-wave.el ends here
