;;; emacs_driver.el --- drive eglot + wave-eglot.el in `emacs --batch'  -*- lexical-binding: t; -*-

;; Loaded after wave-eglot.el.  Writes what it saw as JSON to $WAVE_RESULT; exits non-zero when
;; a step fails or times out.  Batch mode has no idle time, so what eglot leaves to idle timers
;; (sending didChange after an edit) is done here by hand; questions that would read stdin
;; (`y-or-n-p', `completing-read') are answered by the driver.

(require 'json)
(require 'cl-lib)

(defvar wave-test-out (list :steps nil :messages nil))
(defvar wave-test-root (file-name-as-directory (getenv "WAVE_ROOT")))
(defvar wave-test-choice nil "The `completing-read' answer: a substring of the wanted item.")

(defun wave-test-put (key value) (setq wave-test-out (plist-put wave-test-out key value)))

(defun wave-test-finish (failure)
  (wave-test-put :failure failure)
  (with-temp-file (getenv "WAVE_RESULT")
    (insert (json-encode wave-test-out)))
  (ignore-errors (eglot-shutdown (eglot-current-server)))
  (kill-emacs (if failure 1 0)))

(defun wave-test-wait (what seconds predicate)
  (let ((deadline (+ (float-time) seconds)))
    (while (and (not (funcall predicate)) (< (float-time) deadline))
      (accept-process-output nil 0.05))
    (unless (funcall predicate)
      (wave-test-finish (format "timed out waiting for %s" what)))
    (wave-test-put :steps (append (plist-get wave-test-out :steps) (list what)))))

(defun wave-test-text () (buffer-substring-no-properties (point-min) (point-max)))

(defun wave-test-sync ()
  "What eglot's idle timer would do after an edit: send didChange now."
  (eglot--signal-textDocument/didChange))

(setq eglot-confirm-server-initiated-edits nil) ; else `y-or-n-p' reads stdin
(setq completing-read-function
      (lambda (_prompt collection &rest _)
        (let ((names (all-completions "" collection)))
          (wave-test-put :choices (vconcat names))
          (or (cl-find-if (lambda (name) (string-match-p (regexp-quote wave-test-choice) name))
                          names)
              (wave-test-finish (format "no choice matching %S in %S" wave-test-choice names))))))
(advice-add 'message :before
            (lambda (format-string &rest args)
              (when format-string
                (wave-test-put :messages (append (plist-get wave-test-out :messages)
                                                 (list (apply #'format-message format-string
                                                              args)))))))

(setq wave-server-command (append (json-read-from-string (getenv "WAVE_CMD")) nil))

(condition-case err
    (progn
      (find-file (expand-file-name "app.py" wave-test-root))
      (wave-test-put :mode (symbol-name major-mode))
      (apply #'eglot (eglot--guess-contact)) ; what M-x eglot does, from eglot-server-programs
      (wave-test-wait "connected" 30
                      (lambda () (and (eglot-current-server)
                                      (eglot--server-capable :codeActionProvider))))
      (wave-test-put :server (plist-get (eglot--server-info (eglot-current-server)) :name))

      ;; 1. Diagnostics through flymake.
      (wave-test-wait "diagnostics" 30
                      (lambda () (flymake-start) (flymake-diagnostics)))
      (wave-test-put :diagnostics
                     (cl-map 'vector (lambda (d)
                               (list :line (line-number-at-pos (flymake-diagnostic-beg d))
                                     :column (save-excursion
                                               (goto-char (flymake-diagnostic-beg d))
                                               (current-column))
                                     :text (flymake-diagnostic-text d)))
                             (flymake-diagnostics)))

      ;; 2. The rule's quick fix, through eglot's code-action menu.
      (goto-char (point-min))
      (search-forward "yaml.load")
      (let ((last-nonmenu-event 13) ; a key, not a mouse click: completing-read, not a popup
            (wave-test-choice "security.yaml-load"))
        (eglot-code-actions (line-beginning-position) (line-end-position) "quickfix" t))
      (wave-test-put :fixed (wave-test-text))
      (wave-test-sync)

      ;; 3. M-x wave-run-pipeline: wave.pipeline.list, then the run.
      (let ((done nil) (wave-test-choice "hello"))
        (add-hook 'wave-pipeline-finished-functions (lambda (status) (setq done status)))
        (call-interactively #'wave-run-pipeline)
        (wave-test-put :pipelines (plist-get wave-test-out :choices))
        (wave-test-wait "pipeline finished" 60 (lambda () done))
        (wave-test-put :run (list :state (plist-get done :state)
                                  :tasks (plist-get done :tasks))))

      ;; 4. An AI action: eglot gets it as a command; the edit comes by workspace/applyEdit.
      (goto-char (point-min))
      (search-forward "def load")
      (let ((last-nonmenu-event 13) (wave-test-choice "Add docstrings"))
        (eglot-code-actions (line-beginning-position) nil nil t))
      (wave-test-wait "AI edit applied" 60
                      (lambda () (string-match-p "Parse one YAML document" (wave-test-text))))
      (wave-test-put :documented (wave-test-text))
      (wave-test-put :modified (buffer-modified-p))
      (wave-test-finish nil))
  (error (wave-test-finish (format "%S" err))))
