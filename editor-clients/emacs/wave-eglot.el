;;; wave-eglot.el --- Wave LSP through eglot  -*- lexical-binding: t; -*-

;; Version: 0.1.0
;; Package-Requires: ((emacs "28.1") (eglot "1.9"))
;; Keywords: languages, tools, ai

;;; Commentary:

;; Registers the Wave language server (`wave lsp') with eglot for the languages Wave checks and
;; for `.wave/' YAML, and adds interactive commands for Wave's `wave.*' server commands: run a
;; pipeline, review / apply / reject proposals, show the AI context, save and restore
;; checkpoints, select a persona, ask a question.  Choices go through `completing-read'.
;;
;; Works with eglot 1.9 on Emacs 28 (Debian's elpa-eglot) and the eglot built into Emacs 29+.
;; eglot does not resolve code actions, so Wave's AI actions arrive as commands: the server runs
;; the model and sends the edit with `workspace/applyEdit'.
;;
;;   (require 'wave-eglot)
;;   (add-hook 'python-mode-hook #'eglot-ensure)

;;; Code:

(require 'cl-lib)
(require 'eglot)
(require 'jsonrpc)
(require 'subr-x)

(defgroup wave nil
  "Wave LSP: governed AI assistance through eglot."
  :group 'tools
  :prefix "wave-")

(defcustom wave-server-command '("wave" "lsp")
  "How to start the Wave language server (it speaks LSP on stdio)."
  :type '(repeat string))

(defcustom wave-initialization-options nil
  "Settings sent as initializationOptions, a plist such as
\(:persona \"senior_developer\" :model \"ollama:qwen2.5-coder:7b\").
Keys: :persona, :model, :logLevel, :debounceMs, :actionTimeoutMs,
:disabledActions (a vector of strings).
For `workspace/configuration' set `eglot-workspace-configuration'
to ((:wave . PLIST))."
  :type 'plist)

(defcustom wave-major-modes
  '((python-mode :language-id "python") (python-ts-mode :language-id "python")
    (js-mode :language-id "javascript") (js-ts-mode :language-id "javascript")
    (typescript-mode :language-id "typescript") (typescript-ts-mode :language-id "typescript")
    (tsx-ts-mode :language-id "typescriptreact")
    (go-mode :language-id "go") (go-ts-mode :language-id "go")
    (rust-mode :language-id "rust") (rust-ts-mode :language-id "rust")
    (java-mode :language-id "java") (ruby-mode :language-id "ruby")
    (sh-mode :language-id "shellscript") (bash-ts-mode :language-id "shellscript")
    (c-mode :language-id "c") (c++-mode :language-id "cpp")
    (yaml-mode :language-id "yaml") (yaml-ts-mode :language-id "yaml")
    (json-mode :language-id "json") (js-json-mode :language-id "json"))
  "Major modes whose buffers Wave serves, with the LSP language id of each.
eglot runs one server per major mode and project: listing a mode here
puts Wave before that mode's usual server.  Change it before loading
this file, or call `wave-eglot-register' after changing it."
  :type '(repeat sexp))

(defun wave--contact (_interactive)
  "The eglot contact for Wave, read when a server starts (so customizations apply)."
  `(,@wave-server-command :initializationOptions ,(lambda (_server)
                                                    (or wave-initialization-options
                                                        (make-hash-table)))))

(defun wave-eglot-register ()
  "Put Wave first in `eglot-server-programs' for `wave-major-modes'."
  (setq eglot-server-programs
        (cons (cons wave-major-modes #'wave--contact)
              (cl-remove #'wave--contact eglot-server-programs :key #'cdr)))
  ;; `.wave/**/*.yaml': Wave validates its own configuration.
  (unless (fboundp 'yaml-mode)
    (add-to-list 'auto-mode-alist '("/\\.wave/.*\\.ya?ml\\'" . wave-yaml-mode))))

(define-derived-mode wave-yaml-mode prog-mode "Wave-YAML"
  "A minimal mode for `.wave/' YAML files when no YAML mode is installed."
  (setq-local comment-start "# "))
(put 'wave-yaml-mode 'eglot-language-id "yaml")

(wave-eglot-register)
(add-to-list 'eglot-server-programs (cons '(wave-yaml-mode :language-id "yaml") #'wave--contact))

;;; Talking to the server

(defun wave--server ()
  "The eglot server of the current buffer, or an error that says what to do."
  (or (eglot-current-server)
      (user-error "Wave: no language server for this buffer (M-x eglot)")))

(defun wave-command (command &optional argument)
  "Run the server command COMMAND, such as \"wave.pipeline.list\".
ARGUMENT is a plist, the JSON object of the command's single
argument.  Return the command's result."
  (let ((server (wave--server))
        (arguments (vector (or argument (make-hash-table)))))
    (if (fboundp 'eglot-execute-command)
        (eglot-execute-command server (intern command) arguments)
      (jsonrpc-request server :workspace/executeCommand
                       (list :command command :arguments arguments)))))

(defun wave--uri ()
  (eglot--path-to-uri (or buffer-file-name (user-error "Wave: this buffer has no file"))))

(defun wave--focus ()
  "The buffer, and the region's lines when active, as command arguments."
  (append (list :uri (wave--uri))
          (when (use-region-p)
            (list :range
                  (list :start (list :line (1- (line-number-at-pos (region-beginning)))
                                     :character 0)
                        :end (list :line (1- (line-number-at-pos (region-end)))
                                   :character 0))))))

(defun wave--show (name text &optional mode)
  "Show TEXT in a read-only buffer NAME."
  (with-current-buffer (get-buffer-create name)
    (let ((inhibit-read-only t))
      (erase-buffer)
      (insert text)
      (goto-char (point-min)))
    (funcall (or mode #'special-mode))
    (setq buffer-read-only t)
    (display-buffer (current-buffer))
    (current-buffer)))

(defun wave--choose (prompt items describe)
  "Choose one of ITEMS (a sequence) with `completing-read', each shown by DESCRIBE."
  (let* ((table (mapcar (lambda (item) (cons (funcall describe item) item)) items)))
    (unless table (user-error "Wave: nothing to choose from"))
    (cdr (assoc (completing-read prompt table nil t) table))))

;;; Pipelines

(defvar wave-pipeline-finished-functions nil
  "Called with the final status plist of each pipeline run started from Emacs.")

(defvar wave-pipeline-poll-seconds 0.5
  "How often a running pipeline's status is asked for.")

(defun wave--watch-run (server run-id)
  (let (timer)
    (setq timer
          (run-with-timer
           wave-pipeline-poll-seconds wave-pipeline-poll-seconds
           (lambda ()
             (let ((status (jsonrpc-request server :workspace/executeCommand
                                            (list :command "wave.pipeline.status"
                                                  :arguments (vector (list :runId run-id))))))
               (unless (or (member (plist-get status :state) '("queued" "running"))
                           (null (plist-get status :report)))
                 (cancel-timer timer)
                 (message "Wave: run %s of %s: %s%s" run-id (plist-get status :pipeline)
                          (plist-get status :state)
                          (if-let ((proposal (plist-get status :proposal)))
                              (format " — proposal %s (M-x wave-proposals)" proposal)
                            ""))
                 (run-hook-with-args 'wave-pipeline-finished-functions status))))))
    timer))

(defun wave-run-pipeline (pipeline-id)
  "Run the pipeline PIPELINE-ID.
Its file and text inputs come from this buffer or the region."
  (interactive
   (list (plist-get (wave--choose "Run pipeline: " (wave-command "wave.pipeline.list")
                                  (lambda (p) (format "%s — %s" (plist-get p :id)
                                                      (or (plist-get p :description) ""))))
                    :id)))
  (let* ((pipeline (cl-find pipeline-id (wave-command "wave.pipeline.list")
                            :key (lambda (p) (plist-get p :id)) :test #'equal))
         (inputs (cl-loop for spec across (plist-get pipeline :inputs)
                          for type = (plist-get spec :type)
                          unless (member type '("file" "file_list" "text"))
                          append (list (intern (concat ":" (plist-get spec :name)))
                                       (read-string (format "%s (%s): " (plist-get spec :name)
                                                            type)))))
         (argument (append (list :pipeline pipeline-id) (when inputs (list :inputs inputs))
                           (wave--focus)))
         (started (wave-command "wave.pipeline.run" argument)))
    (message "Wave: run %s of %s: %s" (plist-get started :runId) pipeline-id
             (plist-get started :state))
    (wave--watch-run (wave--server) (plist-get started :runId))
    started))

(defun wave-cancel-pipeline (run-id)
  "Cancel the pipeline run RUN-ID."
  (interactive (list (read-string "Run id: ")))
  (wave-command "wave.pipeline.cancel" (list :runId run-id)))

;;; Proposals

(defun wave--pending-proposal (prompt)
  (let ((pending (cl-remove-if-not (lambda (p) (equal (plist-get p :status) "pending"))
                                   (append (wave-command "wave.proposal.list") nil))))
    (unless pending (user-error "Wave: no pending proposals"))
    (plist-get (wave--choose prompt pending
                             (lambda (p) (format "%s  %s  %s" (plist-get p :id)
                                                 (plist-get p :origin) (plist-get p :summary))))
               :id)))

(defun wave--decide (verb id)
  "Apply or reject (VERB) the proposal ID."
  (let ((result (wave-command (concat "wave.proposal." verb) (list :id id))))
    (message "Wave: proposal %s: %s" id (plist-get result :status))
    result))

(defun wave-apply-proposal (id)
  "Apply the proposal ID (backed up first; `wave.proposal.rollback' undoes it)."
  (interactive (list (wave--pending-proposal "Apply proposal: ")))
  (wave--decide "apply" id))

(defun wave-reject-proposal (id)
  "Reject the proposal ID."
  (interactive (list (wave--pending-proposal "Reject proposal: ")))
  (wave--decide "reject" id))

(defun wave-proposals (id)
  "Read the diff of a pending proposal ID, then apply it, reject it, or leave it."
  (interactive (list (wave--pending-proposal "Proposal: ")))
  (let ((shown (wave-command "wave.proposal.show" (list :id id))))
    (wave--show (format "*wave proposal %s*" id) (plist-get shown :diff)
                (if (fboundp 'diff-mode) #'diff-mode #'special-mode))
    (pcase (completing-read (format "Proposal %s: " id) '("apply" "reject" "later") nil t)
      ("apply" (wave-apply-proposal id))
      ("reject" (wave-reject-proposal id)))))

;;; Context, checkpoints, persona, questions

(defun wave-context ()
  "Show the files an AI action would send from here.
With their tokens, and what was redacted."
  (interactive)
  (let* ((report (wave-command "wave.context.show" (wave--focus)))
         (text (concat
                (format "Context for persona %s: %s of %s tokens\n\n" (plist-get report :persona)
                        (plist-get report :totalTokens) (plist-get report :budget))
                (mapconcat (lambda (f) (format "- %s: %s, %s tokens%s" (plist-get f :path)
                                               (plist-get f :status) (plist-get f :tokens)
                                               (if-let ((r (plist-get f :reason)))
                                                   (concat " — " r) "")))
                           (plist-get report :files) "\n")
                "\n")))
    (wave--show "*wave context*" text)
    report))

(defun wave-context-add (file)
  "Add FILE to the context of AI actions."
  (interactive (list (read-file-name "Add to context: " nil buffer-file-name t)))
  (wave-command "wave.context.add" (list :path (expand-file-name file))))

(defun wave-context-clear ()
  "Remove the files added to the context."
  (interactive)
  (wave-command "wave.context.clear"))

(defun wave-checkpoint-save (name)
  "Save the session's conversation and files as the checkpoint NAME."
  (interactive (list (read-string "Checkpoint name: ")))
  (let ((saved (wave-command "wave.checkpoint.save" (list :name name))))
    (message "Wave: checkpoint %s saved" (plist-get saved :name))
    saved))

(defun wave--checkpoint (prompt)
  (plist-get (wave--choose prompt (wave-command "wave.checkpoint.list")
                           (lambda (c) (format "%s  %s  %s" (plist-get c :id) (plist-get c :name)
                                               (or (plist-get c :createdAt) ""))))
             :id))

(defun wave-checkpoint-restore (id)
  "Restore the checkpoint ID."
  (interactive (list (wave--checkpoint "Restore checkpoint: ")))
  (wave-command "wave.checkpoint.restore" (list :id id)))

(defun wave-checkpoint-delete (id)
  "Delete the checkpoint ID."
  (interactive (list (wave--checkpoint "Delete checkpoint: ")))
  (wave-command "wave.checkpoint.delete" (list :id id)))

(defun wave-select-persona (name)
  "Use the persona NAME for this session's AI actions and pipelines."
  (interactive (list (read-string "Persona: ")))
  (let ((result (wave-command "wave.persona.select" (list :name name))))
    (message "Wave: persona %s" (plist-get result :persona))
    result))

(defun wave-ask (question)
  "Ask QUESTION about this buffer (or the region); the answer is shown in a buffer."
  (interactive (list (read-string "Ask Wave: ")))
  (let* ((answer (wave-command "wave.ask" (append (list :prompt question) (wave--focus))))
         (text (plist-get answer :text)))
    (when-let ((proposal (plist-get answer :proposal)))
      (setq text (format "%s\n\nProposal %s (M-x wave-proposals):\n\n%s" text proposal
                         (plist-get answer :diff))))
    (wave--show "*wave answer*" text)
    answer))

(defun wave-agent (instruction)
  "Run Wave's agent on INSTRUCTION.
Its changes become a proposal (see `wave-proposals')."
  (interactive (list (read-string "Wave agent: ")))
  (let* ((answer (wave-command "wave.agent.run"
                               (append (list :instruction instruction) (wave--focus))))
         (text (plist-get answer :text))
         (denials (append (plist-get answer :denials) nil)))
    (when denials
      (setq text (format "%s\n\nRefused:\n- %s" text (string-join denials "\n- "))))
    (when-let ((proposal (plist-get answer :proposal)))
      (setq text (format "%s\n\nProposal %s (M-x wave-proposals):\n\n%s" text proposal
                         (plist-get answer :diff))))
    (wave--show "*wave agent*" text)
    answer))

(defun wave-validate-workspace ()
  "Check every file of the workspace with Wave's rules."
  (interactive)
  (wave-command "wave.validate.workspace" (list :uri (wave--uri))))

(provide 'wave-eglot)
;;; wave-eglot.el ends here
