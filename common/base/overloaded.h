// std::visit over a set of lambdas: std::visit(Overloaded{[](A&){}, [](B&){}}, v).
#pragma once

namespace muster {

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

}  // namespace muster
