// Camera scanning on the door check-in page, where the browser has BarcodeDetector
// (Chrome/Edge on Android and desktop). A USB or Bluetooth scanner needs none of this:
// it types the code into the focused input and presses Enter.
(function () {
  "use strict";
  var form = document.getElementById("checkin-form");
  var input = document.getElementById("checkin-code");
  if (!form || !input) { return; }
  input.focus();
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices) { return; }
  var box = document.getElementById("camera");
  var start = document.getElementById("camera-start");
  var video = document.getElementById("camera-video");
  box.hidden = false;
  start.addEventListener("click", function () {
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
      video.srcObject = stream;
      video.hidden = false;
      start.hidden = true;
      video.play();
      var scan = function () {
        detector.detect(video).then(function (codes) {
          if (codes.length) {
            stream.getTracks().forEach(function (track) { track.stop(); });
            input.value = codes[0].rawValue;
            form.submit();
          } else {
            window.requestAnimationFrame(scan);
          }
        }).catch(function () { window.requestAnimationFrame(scan); });
      };
      window.requestAnimationFrame(scan);
    });
  });
}());
