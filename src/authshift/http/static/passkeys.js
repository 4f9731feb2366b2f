/* authshift passkeys: the browser half of the WebAuthn ceremonies on the hosted pages.
 *
 * Served from /static (no CDN), no inline script, no eval: it works under a strict
 * Content-Security-Policy with script-src 'self'. Every form with a data-passkey attribute is
 * driven here: its data-options-url gives the options (POSTed with the form's CSRF token in the
 * X-CSRF-Token header), the credential goes back in the form's hidden "credential" field, and the
 * form is submitted normally, so the server answers with the same pages and redirects as any form.
 *   data-passkey="sign-in"        navigator.credentials.get, discoverable; conditional UI (autofill
 *                                 on the login ID field) where the browser offers it
 *   data-passkey="second-factor"  navigator.credentials.get with the user's passkeys
 *   data-passkey="register"       navigator.credentials.create
 */
(function () {
  "use strict";

  function toBytes(b64url) {
    var b64 = b64url.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) { b64 += "="; }
    var bin = atob(b64), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
    return out.buffer;
  }

  function toB64url(buffer) {
    var bytes = new Uint8Array(buffer), bin = "";
    for (var i = 0; i < bytes.length; i++) { bin += String.fromCharCode(bytes[i]); }
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (d) { return Object.assign({}, d, { id: toBytes(d.id) }); });
  }

  function creationOptions(json) {
    var o = Object.assign({}, json);
    o.challenge = toBytes(json.challenge);
    o.user = Object.assign({}, json.user, { id: toBytes(json.user.id) });
    o.excludeCredentials = descriptors(json.excludeCredentials);
    return o;
  }

  function requestOptions(json) {
    var o = Object.assign({}, json);
    o.challenge = toBytes(json.challenge);
    o.allowCredentials = descriptors(json.allowCredentials);
    return o;
  }

  function credentialJson(cred) {
    if (typeof cred.toJSON === "function") { return cred.toJSON(); }
    var r = cred.response, response = { clientDataJSON: toB64url(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toB64url(r.attestationObject);
      response.transports = typeof r.getTransports === "function" ? r.getTransports() : [];
    } else {
      response.authenticatorData = toB64url(r.authenticatorData);
      response.signature = toB64url(r.signature);
      if (r.userHandle) { response.userHandle = toB64url(r.userHandle); }
    }
    return { id: cred.id, rawId: toB64url(cred.rawId), type: cred.type, response: response,
             authenticatorAttachment: cred.authenticatorAttachment || null, clientExtensionResults: {} };
  }

  function field(form, name) { return form.querySelector('[name="' + name + '"]'); }

  function say(form, text) {
    var status = document.getElementById(form.getAttribute("data-status") || "");
    if (status) { status.textContent = text; status.hidden = !text; }
  }

  function fetchOptions(form) {
    return fetch(form.getAttribute("data-options-url"), {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRF-Token": field(form, "csrf_token").value, "Accept": "application/json" }
    }).then(function (res) {
      if (!res.ok) { throw new Error("options " + res.status); }
      return res.json();
    });
  }

  function submit(form, challengeId, cred) {
    field(form, "challenge_id").value = challengeId;
    field(form, "credential").value = JSON.stringify(credentialJson(cred));
    form.submit();
  }

  var conditional = null;

  function ceremony(form, mediation) {
    var kind = form.getAttribute("data-passkey");
    return fetchOptions(form).then(function (options) {
      var call;
      if (kind === "register") {
        call = navigator.credentials.create({ publicKey: creationOptions(options.publicKey) });
      } else {
        var request = { publicKey: requestOptions(options.publicKey) };
        if (mediation === "conditional") {
          conditional = new AbortController();
          request.mediation = "conditional";
          request.signal = conditional.signal;
        }
        call = navigator.credentials.get(request);
      }
      return call.then(function (cred) { if (cred) { submit(form, options.challengeId, cred); } });
    });
  }

  function failed(form, err) {
    if (err && err.name === "AbortError") { return; }
    say(form, err && err.name === "NotAllowedError"
      ? "The passkey request was cancelled or timed out. Try again."
      : "Passkeys could not be used here. Try again, or use another way to sign in.");
  }

  function start(form) {
    var button = form.querySelector("[data-passkey-start]");
    if (button) {
      button.hidden = false;
      button.addEventListener("click", function (event) {
        event.preventDefault();
        say(form, "");
        if (conditional) { conditional.abort(); conditional = null; }
        ceremony(form, "modal").catch(function (err) { failed(form, err); });
      });
    }
    if (form.getAttribute("data-passkey") === "sign-in" && PublicKeyCredential.isConditionalMediationAvailable) {
      PublicKeyCredential.isConditionalMediationAvailable().then(function (available) {
        if (available) { ceremony(form, "conditional").catch(function (err) { failed(form, err); }); }
      });
    }
  }

  function init() {
    if (!window.PublicKeyCredential || !navigator.credentials) { return; }
    var forms = document.querySelectorAll("form[data-passkey]");
    for (var i = 0; i < forms.length; i++) { start(forms[i]); }
    document.documentElement.setAttribute("data-passkeys-ready", "true");
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
