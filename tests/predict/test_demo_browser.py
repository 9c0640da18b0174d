"""The demo page in a real headless browser (Debian's chromium and chromium-driver,
driven by selenium): upload a picture, wait for the mesh, download the .obj.

Skipped where gradio, selenium or the browser is missing; CI installs them (.ci/run).
Set SOFTRECON_DEMO_SCREENSHOT=<file.png> to keep a screenshot of the page.
"""

import os
import shutil
import socket
import urllib.request

import imageio.v3 as iio
import pytest
from predict_helpers import box_picture

pytestmark = pytest.mark.browser

gradio = pytest.importorskip("gradio")
webdriver = pytest.importorskip("selenium.webdriver")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
if not (CHROMIUM and DRIVER):
    pytest.skip("needs chromium and chromedriver (apt-get install chromium chromium-driver)", allow_module_level=True)

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as conditions  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

TIMEOUT = 120  # seconds for the page and the reconstruction (a busy CI machine)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture()
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=DRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture()
def page(tiny_model_file, tiny_run, tmp_path):
    from softrecon.predict import load_model
    from softrecon.predict.demo import build_demo, write_examples

    model = load_model(tiny_model_file)
    folder = tmp_path / "demo"
    folder.mkdir()
    examples = write_examples(model, str(folder), data_root=tiny_run[0])
    assert len(examples) == 4  # two classes, two objects each
    demo = build_demo(model, examples, str(folder))
    port = _free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()


def test_upload_a_picture_see_the_mesh_and_download_it(browser, page, tmp_path):
    picture = tmp_path / "box.png"
    iio.imwrite(picture, box_picture(size=(120, 90), box=(20, 30, 70, 100)))
    browser.get(page)
    wait = WebDriverWait(browser, TIMEOUT)
    upload = wait.until(conditions.presence_of_element_located((By.CSS_SELECTOR, "#picture input[type=file]")))
    upload.send_keys(str(picture))
    link = wait.until(conditions.presence_of_element_located((By.CSS_SELECTOR, "#download a[href]")))
    wait.until(conditions.presence_of_element_located((By.CSS_SELECTOR, "#viewer canvas")))
    wait.until(conditions.presence_of_element_located((By.CSS_SELECTOR, "#framed img")))
    assert "silhouette IoU" in browser.find_element(By.ID, "note").text
    with urllib.request.urlopen(link.get_attribute("href"), timeout=30) as response:
        text = response.read().decode()
    vertices = [line for line in text.splitlines() if line.startswith("v ")]
    faces = [line for line in text.splitlines() if line.startswith("f ")]
    assert len(vertices) == 42 and len(faces) == 80  # the tiny model's level-1 icosphere
    screenshot = os.environ.get("SOFTRECON_DEMO_SCREENSHOT")
    if screenshot:
        browser.save_screenshot(screenshot)


def test_a_bad_picture_shows_its_error(browser, page, tmp_path):
    picture = tmp_path / "empty.png"
    iio.imwrite(picture, box_picture() * 0)  # transparent everywhere
    browser.get(page)
    wait = WebDriverWait(browser, TIMEOUT)
    upload = wait.until(conditions.presence_of_element_located((By.CSS_SELECTOR, "#picture input[type=file]")))
    upload.send_keys(str(picture))
    wait.until(lambda driver: "no object found" in driver.find_element(By.TAG_NAME, "body").text)
