// The demo's exchange-rate service: answers GET /rates on 127.0.0.1 with
// {"base": "EUR", "rates": {"USD": 1.08}} and prints the port it listens on.
// One request at a time; it stops when its stdin closes (tools/run-demo.sh
// keeps a pipe open to it) or after 1000 requests.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cstdio>
#include <iostream>
#include <thread>

namespace asio = boost::asio;
namespace http = boost::beast::http;

int main() {
  try {
    asio::io_context io;
    asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
    std::printf("%u\n", static_cast<unsigned>(acceptor.local_endpoint().port()));
    std::fflush(stdout);
    std::thread([] {  // stdin closed: the demo is over
      while (std::cin.get() != EOF) {
      }
      std::_Exit(0);
    }).detach();
    for (int served = 0; served < 1000; ++served) {
      asio::ip::tcp::socket socket = acceptor.accept();
      boost::beast::flat_buffer buffer;
      http::request<http::string_body> request;
      boost::beast::error_code ec;
      http::read(socket, buffer, request, ec);
      if (ec) continue;
      http::response<http::string_body> response;
      response.version(request.version());
      response.keep_alive(false);
      if (request.method() == http::verb::get && request.target().starts_with("/rates")) {
        response.result(http::status::ok);
        response.set(http::field::content_type, "application/json");
        response.body() = R"({"base": "EUR", "rates": {"USD": 1.08}})";
      } else {
        response.result(http::status::not_found);
        response.set(http::field::content_type, "text/plain");
        response.body() = "no such page\n";
      }
      response.prepare_payload();
      http::write(socket, response, ec);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "shop_rates: %s\n", e.what());
    return 1;
  }
  return 0;
}
